"""The catalog's checks and command output: what `doctor` (and `run` before it starts) finds,
and the lines the commands print, in English and French.

Part of the one catalog (``centrale.core.i18n.MESSAGES``); keys are ``chk.<check>.<what>`` and
``out.<command>.<what>``.
"""

from __future__ import annotations

CHECK_MESSAGES: dict[str, dict[str, str]] = {
    # --- command output: hq init, hq add-store ------------------------------------------------
    "out.none": {"en": "none", "fr": "aucune"},
    "out.hq_init.done": {
        "en": "head office initialised in {database} with store number {store}",
        "fr": "siège initialisé dans {database} avec le numéro de magasin {store}",
    },
    "out.hq_init.changed": {
        "en": "head office store number changed from {old} to {store}",
        "fr": "numéro de magasin du siège changé de {old} en {store}",
    },
    "out.hq_init.already": {
        "en": "head office already initialised with store number {store}",
        "fr": "siège déjà initialisé avec le numéro de magasin {store}",
    },
    "out.hq_init.triggers": {
        "en": "delete log triggers on: {tables}",
        "fr": "déclencheurs du journal des suppressions sur : {tables}",
    },
    "out.hq_init.no_reference": {
        "en": "no reference table yet (re-run after creating them)",
        "fr": "aucune table de référence pour l'instant (relancer après les avoir créées)",
    },
    "out.hq_init.views": {
        "en": "store views in {database} refreshed for {n} store account(s)",
        "fr": "vues des magasins dans {database} mises à jour pour {n} compte(s) de magasin",
    },
    "out.hq_init.tables_from": {
        "en": "from {where}: tables created: {tables}; columns added: {columns}",
        "fr": "depuis {where} : tables créées : {tables} ; colonnes ajoutées : {columns}",
    },
    "out.config_set.saved": {
        "en": "{key} = {value} (saved in {path})",
        "fr": "{key} = {value} (enregistré dans {path})",
    },
    "out.add_store.created": {
        "en": "created {account}@{host} (store {store})",
        "fr": "créé : {account}@{host} (magasin {store})",
    },
    "out.add_store.rotated": {
        "en": "new password for {account}@{host} (store {store})",
        "fr": "nouveau mot de passe pour {account}@{host} (magasin {store})",
    },
    "out.add_store.config": {
        "en": "store's configuration (the password is shown only now):",
        "fr": "configuration du magasin (le mot de passe n'est montré qu'une fois, maintenant) :",
    },
    # --- doctor's checks --------------------------------------------------------------------------
    "chk.config.ok": {"en": "{path} valid ({n} catalog tables)", "fr": "{path} valide ({n} tables au catalogue)"},
    "chk.local.ok": {"en": "reachable ({where})", "fr": "joignable ({where})"},
    "chk.hq_self.other_number": {
        "en": "this head office records store number {number}, the config says {store}",
        "fr": "ce siège enregistre le numéro de magasin {number}, la configuration dit {store}",
    },
    "chk.hq_self.other_number.hint": {
        "en": "fix site.store / site.hq_store, or run `centrale hq init --force`",
        "fr": "corriger site.store / site.hq_store, ou lancer `centrale hq init --force`",
    },
    "chk.hq_self.ok": {"en": "initialised, store number {number}", "fr": "initialisé, numéro de magasin {number}"},
    "chk.checkpoint.purged": {
        "en": "the checkpoint {position} is in a purged binlog file",
        "fr": "le point de reprise {position} est dans un fichier binlog purgé",
    },
    "chk.outbox.checkpoint": {"en": "checkpoint {position}", "fr": "point de reprise {position}"},
    "chk.outbox.no_checkpoint": {
        "en": "no checkpoint yet (first run starts at the binlog end)",
        "fr": "pas encore de point de reprise (le premier lancement part de la fin du binlog)",
    },
    "chk.outbox.ok": {
        "en": "{path}: {rows} rows waiting, {where}",
        "fr": "{path} : {rows} lignes en attente, {where}",
    },
    "chk.hq.unreachable": {"en": "cannot reach {where}: {error}", "fr": "impossible de joindre {where} : {error}"},
    "chk.hq.other_number": {
        "en": "head office has store number {number}, this store expects {expected}",
        "fr": "le siège a le numéro de magasin {number}, ce magasin attend {expected}",
    },
    "chk.hq.tls_verified": {"en": "TLS {cipher}, certificate verified", "fr": "TLS {cipher}, certificat vérifié"},
    "chk.hq.tls_unverified": {
        "en": "TLS {cipher}, certificate NOT verified",
        "fr": "TLS {cipher}, certificat NON vérifié",
    },
    "chk.hq.plaintext": {"en": "plaintext", "fr": "en clair"},
    "chk.hq.ok": {
        "en": "{where} reachable, store number {number}, {link}",
        "fr": "{where} joignable, numéro de magasin {number}, {link}",
    },
    "chk.account.shared": {
        "en": "{user!r} is not a per-store account: it can read and change every store's data",
        "fr": "{user!r} n'est pas un compte propre au magasin : il peut lire et modifier les données de tous "
        "les magasins",
    },
    "chk.account.shared.hint": {
        "en": "at head office run `centrale hq add-store {store}` and use that account (README, Security)",
        "fr": "au siège, lancer `centrale hq add-store {store}` et utiliser ce compte (README, Security)",
    },
    "chk.account.ok": {
        "en": "{user!r}: store {owner}'s own rows only",
        "fr": "{user!r} : seulement les lignes du magasin {owner}",
    },
    "chk.link.plaintext": {
        "en": "the connection to head office is not encrypted",
        "fr": "la connexion au siège n'est pas chiffrée",
    },
    "chk.link.plaintext.hint": {
        "en": "set hq.ssl_ca to head office's CA certificate (see README, Security)",
        "fr": "renseigner hq.ssl_ca avec le certificat d'autorité du siège (voir README, Security)",
    },
    "chk.capture.compressed": {
        "en": "compressed binlog events (log_bin_compress=ON) are read and uncompressed",
        "fr": "les événements compressés du binlog (log_bin_compress=ON) sont lus et décompressés",
    },
    "chk.capture.payloads": {
        "en": "compressed transactions (binlog_transaction_compression=ON) are read and uncompressed (zstd)",
        "fr": "les transactions compressées (binlog_transaction_compression=ON) sont lues et décompressées (zstd)",
    },
    "chk.capture.stopped": {
        "en": "capture stopped the last time it ran: {error}",
        "fr": "la capture s'est arrêtée la dernière fois : {error}",
    },
    "chk.capture.stopped.hint": {
        "en": "make the fix it names, then start `centrale run` again: it goes on past the event, or stops on it again",
        "fr": "appliquer le correctif indiqué, puis relancer `centrale run` : elle reprend après l'événement, ou "
        "s'arrête à nouveau dessus",
    },
    "chk.capture.generated": {
        "en": "generated column(s) {columns} are left out of head office's copy, as from snapshots (the store "
        "computes them; head office may define them itself)",
        "fr": "la ou les colonnes générées {columns} ne sont pas copiées au siège, comme pour les instantanés (le "
        "magasin les calcule ; le siège peut les définir lui-même)",
    },
    "chk.capture.plain": {
        "en": "binlog events are not compressed, or compressed in a way capture reads",
        "fr": "les événements du binlog ne sont pas compressés, ou le sont d'une façon que la capture lit",
    },
    "chk.capture.partial_json": {
        "en": "binlog_row_value_options=PARTIAL_JSON: JSON updates would be logged as partial rows",
        "fr": "binlog_row_value_options=PARTIAL_JSON : les mises à jour JSON seraient journalisées en lignes "
        "partielles",
    },
    "chk.capture.partial_json.hint": {
        "en": "SET PERSIST binlog_row_value_options='' on the store's server",
        "fr": "SET PERSIST binlog_row_value_options='' sur le serveur du magasin",
    },
    "chk.capture.cascade": {
        "en": "foreign key {name} of captured table {table} (to {parent}) has {rules}: InnoDB changes those rows "
        "itself and the binlog never shows it, so head office would keep rows the store changed or deleted",
        "fr": "la clé étrangère {name} de la table capturée {table} (vers {parent}) a {rules} : InnoDB modifie "
        "ces lignes lui-même sans que le binlog le montre, le siège garderait des lignes que le magasin a "
        "modifiées ou supprimées",
    },
    "chk.capture.cascade.hint": {
        "en": "make {name} ON DELETE RESTRICT ON UPDATE RESTRICT (the POS then writes the child rows' changes "
        'itself, and they are in the binlog); for a cascading delete only, on_delete = "ignore" for {table} '
        "in the catalog also does",
        "fr": "passer {name} en ON DELETE RESTRICT ON UPDATE RESTRICT (la caisse écrit alors elle-même les "
        "changements des lignes filles, qui sont dans le binlog) ; pour une suppression en cascade seulement, "
        'on_delete = "ignore" pour {table} dans le catalogue convient aussi',
    },
    "chk.capture.cascade.ok": {
        "en": "no foreign key changes a captured table's rows behind the binlog's back",
        "fr": "aucune clé étrangère ne modifie les lignes d'une table capturée à l'insu du binlog",
    },
    "chk.capture.bytes": {
        "en": "column(s) {columns} are carried as their bytes (a character set whose mapping to Unicode is "
        "not the same in Python and the server)",
        "fr": "la ou les colonnes {columns} sont transmises octet par octet (un jeu de caractères dont la "
        "correspondance Unicode diffère entre Python et le serveur)",
    },
    "chk.capture.bytes.hint": {
        "en": "give these columns the same character set at head office (`hq init --tables-from` does)",
        "fr": "donner à ces colonnes le même jeu de caractères au siège (`hq init --tables-from` le fait)",
    },
    "chk.capture.charsets.ok": {
        "en": "every captured text column crosses as text, byte for byte",
        "fr": "chaque colonne texte capturée passe comme texte, octet pour octet",
    },
    "chk.capture.engines": {
        "en": "table(s) {tables} cannot roll back: their changes are captured statement by statement, so a "
        "ticket spread over them and InnoDB tables is not atomic at the store either",
        "fr": "la ou les tables {tables} ne savent pas annuler : leurs changements sont capturés requête par "
        "requête, un ticket réparti entre elles et des tables InnoDB n'est donc pas atomique, au magasin non plus",
    },
    "chk.capture.engines.hint": {
        "en": "ALTER TABLE ... ENGINE=InnoDB for tables that belong to tickets (docs/capture.md)",
        "fr": "ALTER TABLE ... ENGINE=InnoDB pour les tables qui font partie des tickets (docs/capture.md)",
    },
    "chk.binlog.cnf.hint": {
        "en": "in the store's my.cnf [mariadbd] section set log_bin, binlog_format=ROW, binlog_row_image=FULL, "
        "binlog_row_metadata=FULL, then restart MariaDB",
        "fr": "dans la section [mariadbd] du my.cnf du magasin, mettre log_bin, binlog_format=ROW, "
        "binlog_row_image=FULL, binlog_row_metadata=FULL, puis redémarrer MariaDB",
    },
    "chk.binlog.setting": {
        "en": "{name} is {got}, capture needs {want}",
        "fr": "{name} vaut {got}, la capture exige {want}",
    },
    "chk.binlog.ok": {
        "en": "binary log on, ROW format, FULL row image and FULL row metadata",
        "fr": "binlog actif, format ROW, image FULL des lignes et métadonnées FULL",
    },
    "chk.server_id.zero": {
        "en": "the store server's server_id is 0",
        "fr": "le server_id du serveur du magasin vaut 0",
    },
    "chk.server_id.zero.hint": {
        "en": "set server_id=1 (any non-zero) in my.cnf",
        "fr": "mettre server_id=1 (toute valeur non nulle) dans my.cnf",
    },
    "chk.server_id.same": {
        "en": "the reader's server id {reader} equals the server's own server_id",
        "fr": "l'identifiant serveur du lecteur {reader} est égal au server_id du serveur lui-même",
    },
    "chk.server_id.same.hint": {
        "en": "set local.reader_server_id to another number",
        "fr": "donner un autre numéro à local.reader_server_id",
    },
    "chk.server_id.taken": {
        "en": "a replica with server id {reader} is connected (another Centrale?)",
        "fr": "une réplique d'identifiant serveur {reader} est connectée (un autre Centrale ?)",
    },
    "chk.server_id.taken.hint": {
        "en": "two readers with one id disconnect each other: set local.reader_server_id",
        "fr": "deux lecteurs de même identifiant se déconnectent l'un l'autre : renseigner local.reader_server_id",
    },
    "chk.server_id.ok": {
        "en": "server_id {server}, reader id {reader}",
        "fr": "server_id {server}, identifiant du lecteur {reader}",
    },
    "chk.privileges.all": {"en": "all privileges", "fr": "tous les droits"},
    "chk.privileges.lacks": {
        "en": "the local user lacks {privileges}",
        "fr": "il manque {privileges} à l'utilisateur local",
    },
    "chk.privileges.replication.hint": {
        "en": "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO the user of local.url",
        "fr": "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO l'utilisateur de local.url",
    },
    "chk.privileges.monitor.hint": {
        "en": "GRANT BINLOG MONITOR ON *.* TO the user of local.url",
        "fr": "GRANT BINLOG MONITOR ON *.* TO l'utilisateur de local.url",
    },
    "chk.privileges.ok": {"en": "replication privileges present", "fr": "droits de réplication présents"},
    "chk.table.missing": {
        "en": "catalog table `{table}` does not exist in database {database}",
        "fr": "la table `{table}` du catalogue n'existe pas dans la base {database}",
    },
    "chk.table.missing.hint": {
        "en": "create it or remove [tables.{table}] from the configuration",
        "fr": "la créer ou retirer [tables.{table}] de la configuration",
    },
    "chk.table.no_key": {
        "en": "table `{table}` has no primary key",
        "fr": "la table `{table}` n'a pas de clé primaire",
    },
    "chk.table.no_key.hint": {
        "en": 'add one, or set tables.{table}.key = ["col", ...]',
        "fr": 'en ajouter une, ou mettre tables.{table}.key = ["col", ...]',
    },
    "chk.table.unknown_key": {
        "en": "tables.{table}.key names unknown column(s) {columns}",
        "fr": "tables.{table}.key nomme des colonnes inconnues : {columns}",
    },
    "chk.table.unknown_key.hint": {"en": "fix tables.{table}.key", "fr": "corriger tables.{table}.key"},
    "chk.table.nullable_key": {
        "en": "key column(s) {columns} of {table} may be NULL at the store; head office's key cannot, so the "
        "first row with a NULL there would hold the store's shipping",
        "fr": "la ou les colonnes de clé {columns} de {table} peuvent être NULL au magasin ; la clé du siège ne le "
        "peut pas, la première ligne avec un NULL bloquerait donc l'envoi du magasin",
    },
    "chk.table.nullable_key.hint": {
        "en": "make {columns} NOT NULL at the store (ALTER TABLE {table} MODIFY ... NOT NULL), or set "
        "tables.{table}.key to columns that are",
        "fr": "passer {columns} en NOT NULL au magasin (ALTER TABLE {table} MODIFY ... NOT NULL), ou mettre dans "
        "tables.{table}.key des colonnes qui le sont",
    },
    "chk.table.unknown_columns": {
        "en": "the catalog names column(s) {columns} that {table} does not have",
        "fr": "le catalogue nomme des colonnes que {table} n'a pas : {columns}",
    },
    "chk.table.unknown_columns.hint": {
        "en": "fix tables.{table} in the catalog (since_column, sum_column, modified_column, price_columns, "
        "printer_columns, local_columns)",
        "fr": "corriger tables.{table} dans le catalogue (since_column, sum_column, modified_column, price_columns, "
        "printer_columns, local_columns)",
    },
    "chk.table.local_id": {
        "en": "shared table {table}'s own id column(s) {columns} have no default and are not AUTO_INCREMENT: rows "
        "pulled from head office (which does not send them) could not be stored",
        "fr": "la ou les colonnes d'identifiant propre {columns} de la table partagée {table} n'ont ni défaut ni "
        "AUTO_INCREMENT : les lignes reçues du siège (qui ne les envoie pas) ne pourraient pas être enregistrées",
    },
    "chk.table.local_id.hint": {
        "en": "make them AUTO_INCREMENT or give them a default at the store, or put them in tables.{table}.key",
        "fr": "les passer en AUTO_INCREMENT ou leur donner un défaut au magasin, ou les mettre dans tables.{table}.key",
    },
    "chk.catalog.ok": {
        "en": "{n} captured tables present with keys",
        "fr": "{n} tables capturées présentes avec leurs clés",
    },
    "chk.retention.never": {
        "en": "binlogs never expire on this server (watch its disk)",
        "fr": "les binlogs n'expirent jamais sur ce serveur (surveiller son disque)",
    },
    "chk.retention.purged": {"en": "may already be purged", "fr": "est peut-être déjà purgé"},
    "chk.retention.purged_in": {"en": "may be purged in {hours:.1f} h", "fr": "peut être purgé dans {hours:.1f} h"},
    "chk.retention.short": {
        "en": "the binlog holding the capture checkpoint {when} (the server keeps {days:g} days)",
        "fr": "le binlog qui contient le point de reprise de la capture {when} (le serveur garde {days:g} jours)",
    },
    "chk.retention.short.hint": {
        "en": "start `centrale run` so capture catches up, or raise binlog_expire_logs_seconds on the store",
        "fr": "lancer `centrale run` pour que la capture rattrape son retard, ou augmenter "
        "binlog_expire_logs_seconds au magasin",
    },
    "chk.retention.ok": {
        "en": "{left:.1f} of {days:g} days of headroom before the checkpoint's binlog expires",
        "fr": "{left:.1f} jours de marge sur {days:g} avant que le binlog du point de reprise expire",
    },
    # --- command output: outbox -----------------------------------------------------------------
    "out.replay.shipped": {
        "en": "shipped {rows} rows in {batches} batches; {left} rows waiting",
        "fr": "{rows} lignes envoyées en {batches} lots ; {left} lignes en attente",
    },
    "out.outbox.empty": {"en": "outbox empty", "fr": "file d'envoi vide"},
    "out.outbox.skipped": {
        "en": "skipped seq {seq} ({op} {table}); it will not be shipped",
        "fr": "n° {seq} écarté ({op} {table}) ; il ne sera pas envoyé",
    },
    # --- command output: snapshot, push -----------------------------------------------------------
    "out.snapshot.table": {
        "en": "{table}: {rows} rows at binlog position {position}",
        "fr": "{table} : {rows} lignes à la position binlog {position}",
    },
    "out.push.queued": {
        "en": "push {group}: {rows} rows queued ({detail})",
        "fr": "envoi {group} : {rows} lignes mises en file ({detail})",
    },
    "out.push.next_tick": {
        "en": "they reach head office at the next shipping tick (`centrale outbox replay` ships now)",
        "fr": "elles arrivent au siège au prochain cycle d'envoi (`centrale outbox replay` envoie tout de suite)",
    },
    # --- command output: jobs -----------------------------------------------------------------------
    "out.jobs.added": {
        "en": "job {id}: {action} for store {store} (pending)",
        "fr": "travail {id} : {action} pour le magasin {store} (en attente)",
    },
    "out.jobs.none": {"en": "no job", "fr": "aucun travail"},
    "out.jobs.retried": {
        "en": "job {id}: retry of job {old} (pending)",
        "fr": "travail {id} : nouvel essai du travail {old} (en attente)",
    },
    # --- command output: pull, push, sync, reconcile ------------------------------------------------
    "out.pull.summary": {
        "en": "pull {group}: {rows} rows changed ({detail})",
        "fr": "récupération {group} : {rows} lignes modifiées ({detail})",
    },
    "out.push.summary": {
        "en": "push {group}: {rows} rows queued for head office ({detail})",
        "fr": "envoi {group} : {rows} lignes mises en file pour le siège ({detail})",
    },
    "out.sync.summary": {
        "en": "sync customers: {sent} sent, {summary}",
        "fr": "synchro clients : {sent} envoyés, {summary}",
    },
    "out.reconcile.head": {
        "en": "reconcile {since}..{until}: {n} day(s) differ",
        "fr": "rapprochement {since}..{until} : {n} jour(s) diffèrent",
    },
    "out.reconcile.head_resent": {
        "en": "reconcile {since}..{until}: {n} day(s) differ; re-sent {days} day(s), {rows} rows queued",
        "fr": "rapprochement {since}..{until} : {n} jour(s) diffèrent ; {days} jour(s) renvoyé(s), "
        "{rows} lignes mises en file",
    },
    "out.reconcile.day": {
        "en": "{day} {table}: store {store_rows} rows / {store_sum}, head office {hq_rows} rows / {hq_sum} ({what})",
        "fr": "{day} {table} : magasin {store_rows} lignes / {store_sum}, siège {hq_rows} lignes / {hq_sum} ({what})",
    },
    "out.reconcile.hq_short": {"en": "head office short", "fr": "il manque des lignes au siège"},
    "out.reconcile.store_purged": {"en": "store purged rows", "fr": "lignes purgées au magasin"},
    "out.jobs.line": {
        "en": "{id:>6}  store {store:<5} {action:<15} {status:<10} {when}  {rows:>7} rows  {message}",
        "fr": "{id:>6}  magasin {store:<5} {action:<15} {status:<10} {when}  {rows:>7} lignes  {message}",
    },
}
