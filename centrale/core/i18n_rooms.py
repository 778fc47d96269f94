"""The catalog's errors of the rooms: capture (cdc), shipping (applier) and jobs, in English and
French. Part of the one catalog (``centrale.core.i18n.MESSAGES``), like ``i18n_errors``.
"""

from __future__ import annotations

ROOM_MESSAGES: dict[str, dict[str, str]] = {
    # --- shipping -----------------------------------------------------------------------------------
    "err.ship.login": {
        "en": "head office {where} refused the login: {error}",
        "fr": "le siège {where} a refusé la connexion : {error}",
    },
    "err.ship.login.hint": {
        "en": "check hq.user and hq.password (or the variable named by hq.password_env)",
        "fr": "vérifier hq.user et hq.password (ou la variable désignée par hq.password_env)",
    },
    "err.ship.conflict": {
        "en": "head office {where} asked for the batch again (a lock conflict): {error}",
        "fr": "le siège {where} a redemandé le lot (un conflit de verrous) : {error}",
    },
    "err.ship.conflict.hint": {
        "en": "nothing to do: it is sent again at the next tick, and applied once",
        "fr": "rien à faire : il est renvoyé au prochain cycle, et appliqué une seule fois",
    },
    "err.ship.unreachable": {
        "en": "head office {where} unreachable: {error}",
        "fr": "siège {where} injoignable : {error}",
    },
    "err.ship.unreachable.hint": {
        "en": "shipping resumes by itself when it is back; `centrale outbox replay` drains at once",
        "fr": "l'envoi reprend de lui-même à son retour ; `centrale outbox replay` vide la file tout de suite",
    },
    "err.ship.wrong_hq": {
        "en": "head office {where} has store number {number}, but this store expects {expected} (site.hq_store)",
        "fr": "le siège {where} a le numéro de magasin {number}, mais ce magasin attend {expected} (site.hq_store)",
    },
    "err.ship.check_failed": {
        "en": "head office check failed: {error}",
        "fr": "la vérification du siège a échoué : {error}",
    },
    "err.ship.cannot_create": {
        "en": "head office lacks some of this store's tables and account {user!r} may not create them",
        "fr": "il manque au siège des tables de ce magasin et le compte {user!r} n'a pas le droit de les créer",
    },
    "err.ship.cannot_create.hint": {
        "en": "at head office run `centrale --config hq.toml hq init --tables-from URL` with any store's database URL",
        "fr": "au siège, lancer `centrale --config hq.toml hq init --tables-from URL` avec l'URL de la base de "
        "n'importe quel magasin",
    },
    "err.ship.oversized": {
        "en": "row seq {seq} of table {table} is {size} MB as a statement, more than head office's "
        "max_allowed_packet ({limit} MB): head office cannot be sent it",
        "fr": "la ligne n° {seq} de la table {table} fait {size} Mo en requête, plus que le max_allowed_packet du "
        "siège ({limit} Mo) : elle ne peut pas lui être envoyée",
    },
    "err.ship.oversized.hint": {
        "en": "at head office: SET GLOBAL max_allowed_packet = {needed}*1024*1024 (and max_allowed_packet = {needed}M "
        "in its my.cnf); shipping resumes at the next tick",
        "fr": "au siège : SET GLOBAL max_allowed_packet = {needed}*1024*1024 (et max_allowed_packet = {needed}M "
        "dans son my.cnf) ; l'envoi reprend au prochain cycle",
    },
    "err.ship.where_batch": {"en": "batch seq {first}-{last}", "fr": "le lot n° {first}-{last}"},
    "err.ship.where_rows": {
        "en": "rows seq {first}-{last} of table {table}",
        "fr": "les lignes n° {first}-{last} de la table {table}",
    },
    "err.ship.where_row": {"en": "row seq {seq} of table {table}", "fr": "la ligne n° {seq} de la table {table}"},
    "err.ship.where_row_key": {
        "en": "row seq {seq} of table {table} (key {key})",
        "fr": "la ligne n° {seq} de la table {table} (clé {key})",
    },
    "status.hq_gap": {
        "en": "head office GAP: {gap}",
        "fr": "TROU au siège : {gap}",
    },
    "err.run.lease_taken": {
        "en": "store {store} already runs at {host}, folder {folder} (process {pid}, seen at head office "
        "{age:.0f} s ago); this one ({here}) does not start: two captures of one store kick each other off "
        "its binlog and ship its rows twice",
        "fr": "le magasin {store} tourne déjà sur {host}, dossier {folder} (processus {pid}, vu par le siège il "
        "y a {age:.0f} s) ; celui-ci ({here}) ne démarre pas : deux captures d'un magasin se chassent de son "
        "binlog et envoient ses lignes deux fois",
    },
    "err.run.lease_taken.hint": {
        "en": "stop the other one (a copied install folder? give it its own store number), or, if it is gone "
        "for good, start again in {ttl:.0f} s, when its lease has expired",
        "fr": "arrêter l'autre (un dossier d'installation copié ? lui donner son propre numéro de magasin), ou, "
        "s'il n'existe plus, redémarrer dans {ttl:.0f} s, quand son bail aura expiré",
    },
    "out.verify.same": {
        "en": "{table}: as at head office ({history} older rows kept there only: history)",
        "fr": "{table} : comme au siège ({history} lignes plus anciennes gardées là seulement : historique)",
    },
    "out.verify.differs": {
        "en": "{table}: {missing} rows missing at head office, {different} held differently, {extra} at head "
        "office only; keys: {keys}",
        "fr": "{table} : {missing} lignes absentes au siège, {different} différentes, {extra} au siège "
        "seulement ; clés : {keys}",
    },
    "out.verify.extra_fix": {
        "en": "{table} mirrors the store's deletes: `centrale verify --resend` deletes at head office the rows "
        "the store no longer has",
        "fr": "{table} reproduit les suppressions du magasin : `centrale verify --resend` supprime au siège les "
        "lignes que le magasin n'a plus",
    },
    "out.verify.resent": {
        "en": "{rows} rows queued again: `run` ships them; `centrale verify` again to check",
        "fr": "{rows} lignes remises en file : `run` les envoie ; relancer `centrale verify` pour vérifier",
    },
    "err.verify.differs": {
        "en": "this store and head office differ (above)",
        "fr": "ce magasin et le siège diffèrent (ci-dessus)",
    },
    "err.verify.differs.hint": {
        "en": "`centrale verify --resend` sends the store's rows again, and deletes the rows only head office "
        "holds in tables that mirror the store's deletes",
        "fr": "`centrale verify --resend` renvoie les lignes du magasin, et supprime les lignes que seul le siège a "
        "dans les tables qui reproduisent les suppressions du magasin",
    },
    "err.verify.unknown": {
        "en": "no table or group `{name}` in the catalog",
        "fr": "pas de table ni de groupe `{name}` dans le catalogue",
    },
    "err.verify.unknown.hint": {
        "en": "name tables or groups of the catalog (`centrale config show`)",
        "fr": "nommer des tables ou des groupes du catalogue (`centrale config show`)",
    },
    "err.verify.no_table": {
        "en": "table {table} is missing at the store or at head office",
        "fr": "la table {table} manque au magasin ou au siège",
    },
    "err.verify.no_table.hint": {
        "en": "check the catalog; at head office, `centrale hq init --tables-from URL` creates it",
        "fr": "vérifier le catalogue ; au siège, `centrale hq init --tables-from URL` la crée",
    },
    "err.ship.hq_gap": {
        "en": "head office lacks this store's rows seq {first} to {last}, shipped before it was put back from a "
        "backup and no longer kept here ({since} kept rows were sent again)",
        "fr": "il manque au siège les lignes n° {first} à {last} de ce magasin, envoyées avant sa restauration "
        "et plus gardées ici ({since} lignes gardées ont été renvoyées)",
    },
    "err.ship.hq_gap.hint": {
        "en": "send those days again: `centrale push sales --since DATE` (and the other groups), then "
        "`centrale reconcile` to check; raise outbox.keep_shipped_h to keep shipped rows longer",
        "fr": "renvoyer ces jours : `centrale push sales --since DATE` (et les autres groupes), puis "
        "`centrale reconcile` pour vérifier ; augmenter outbox.keep_shipped_h pour garder les lignes plus longtemps",
    },
    "err.ship.rejected": {
        "en": "head office rejected {where}: ({code}) {error}",
        "fr": "le siège a refusé {where} : ({code}) {error}",
    },
    "err.ship.rejected.fix": {
        "en": "fix the table at head office (or the data at the store), then shipping resumes by itself",
        "fr": "corriger la table au siège (ou les données au magasin), puis l'envoi reprend de lui-même",
    },
    "err.ship.rejected.column_fix": {
        "en": "a column exists at the store but not at head office, and this account may not add it: at head "
        "office run `centrale --config hq.toml hq init --tables-from URL` with this store's database URL "
        "(adds the column, refreshes store accounts' views)",
        "fr": "une colonne existe au magasin mais pas au siège, et ce compte n'a pas le droit de l'ajouter : au "
        "siège, lancer `centrale --config hq.toml hq init --tables-from URL` avec l'URL de la base de ce magasin "
        "(ajoute la colonne, met à jour les vues des comptes des magasins)",
    },
    "err.ship.rejected.origin_fix": {
        "en": "head office's table has no {column} column: it is head office's own table (its POS's) in the "
        "store's layout; at head office run `centrale --config hq.toml hq init --adopt` (adds {column} to its "
        "key, head office's own rows keep head office's number)",
        "fr": "la table du siège n'a pas de colonne {column} : c'est la table du siège lui-même (de sa caisse) "
        "dans la disposition du magasin ; au siège, lancer `centrale --config hq.toml hq init --adopt` (ajoute "
        "{column} à sa clé, les lignes du siège gardent le numéro du siège)",
    },
    "err.ship.rejected.denied_fix": {
        "en": "head office refused this account the write: check that site.store is the store of hq.user "
        "(`centrale doctor`), and that `centrale hq init` ran at head office after its last table change",
        "fr": "le siège a refusé l'écriture à ce compte : vérifier que site.store est le magasin de hq.user "
        "(`centrale doctor`), et que `centrale hq init` a été lancé au siège après son dernier changement de table",
    },
    "err.ship.rejected.hint": {
        "en": "{fix}; to drop a poison row instead: `centrale outbox skip SEQ`",
        "fr": "{fix} ; pour écarter plutôt une ligne empoisonnée : `centrale outbox skip SEQ`",
    },
    "err.ship.memory_down": {"en": "memory head office is down", "fr": "le siège en mémoire est arrêté"},
    "err.ship.failed.hint": {
        "en": "see `centrale status`; shipping resumes when fixed",
        "fr": "voir `centrale status` ; l'envoi reprend une fois le problème corrigé",
    },
    # --- capture ------------------------------------------------------------------------------------
    "err.source.no_binlog": {
        "en": "the local server does not write a binary log",
        "fr": "le serveur local n'écrit pas de binlog",
    },
    "err.source.no_binlog.hint": {
        "en": "set log_bin, binlog_format=ROW, binlog_row_image=FULL and binlog_row_metadata=FULL in its my.cnf "
        "and restart it",
        "fr": "mettre log_bin, binlog_format=ROW, binlog_row_image=FULL et binlog_row_metadata=FULL dans son my.cnf "
        "et le redémarrer",
    },
    "err.source.position_lost": {
        "en": "the capture checkpoint {position} is in a binlog file the server no longer has (oldest kept: "
        "{oldest}); changes made in between cannot be read from the binlog",
        "fr": "le point de reprise de la capture {position} est dans un fichier binlog que le serveur n'a plus "
        "(le plus ancien gardé : {oldest}) ; les changements faits entre-temps ne peuvent pas être lus dans le binlog",
    },
    "err.source.position_lost.hint": {
        "en": "run `centrale snapshot` to reload every captured table and resume from now "
        "(see docs/operations.md, 'Position lost')",
        "fr": "lancer `centrale snapshot` pour recharger toutes les tables capturées et reprendre à partir de "
        "maintenant (voir docs/operations.md, 'Position lost')",
    },
    "err.source.cannot_stream": {
        "en": "the server cannot stream from checkpoint {position}: {error}",
        "fr": "le serveur ne peut pas lire le binlog depuis le point de reprise {position} : {error}",
    },
    "err.source.stream_failed": {
        "en": "binlog stream from {where} failed: {error}",
        "fr": "la lecture du binlog de {where} a échoué : {error}",
    },
    "err.source.stream_broke": {
        "en": "binlog stream from {where} broke: {error}",
        "fr": "la lecture du binlog de {where} a été coupée : {error}",
    },
    "err.snapshot.no_position": {
        "en": "the local server gives no binlog snapshot position",
        "fr": "le serveur local ne donne pas de position binlog pour l'instantané",
    },
    "err.snapshot.no_position.hint": {
        "en": "enable the binary log (log_bin) on the store's MariaDB",
        "fr": "activer le binlog (log_bin) sur le MariaDB du magasin",
    },
    "err.snapshot.unknown": {
        "en": "`{name}` is neither a captured table nor a group of the catalog",
        "fr": "`{name}` n'est ni une table capturée ni un groupe du catalogue",
    },
    "err.snapshot.unknown.hint": {"en": "choose among: {among}", "fr": "choisir parmi : {among}"},
    "err.snapshot.missing": {
        "en": "table(s) {tables} do not exist in {database}",
        "fr": "table(s) {tables} absente(s) de {database}",
    },
    "err.snapshot.missing.hint": {
        "en": "create them or remove them from the catalog",
        "fr": "les créer ou les retirer du catalogue",
    },
    "err.snapshot.partial": {
        "en": "the capture position is lost: a partial snapshot cannot close the gap",
        "fr": "la position de capture est perdue : un instantané partiel ne peut pas combler le trou",
    },
    "err.snapshot.partial.hint": {
        "en": "run `centrale snapshot` without arguments to reload every captured table",
        "fr": "lancer `centrale snapshot` sans argument pour recharger toutes les tables capturées",
    },
    "err.push.unknown": {"en": "`{group}` cannot be pushed", "fr": "`{group}` ne peut pas être envoyé"},
    "err.push.since.hint": {
        "en": "use YYYY-MM-DD, e.g. --since 2026-11-01",
        "fr": "utiliser AAAA-MM-JJ, par exemple --since 2026-11-01",
    },
    # --- jobs ---------------------------------------------------------------------------------------
    "err.jobs.no_table": {"en": "head office has no jobs table", "fr": "le siège n'a pas de table des travaux"},
    "err.jobs.table": {"en": "jobs table: {error}", "fr": "table des travaux : {error}"},
    "err.jobs.unknown_action": {"en": "unknown action `{action}`", "fr": "action inconnue `{action}`"},
    "err.jobs.no_store": {"en": "no store given", "fr": "aucun magasin indiqué"},
    "err.jobs.no_store.hint": {
        "en": "use --store N (repeatable) or --all",
        "fr": "utiliser --store N (répétable) ou --all",
    },
    "err.jobs.unknown_status": {"en": "unknown status `{status}`", "fr": "état inconnu `{status}`"},
    "err.jobs.no_job": {"en": "no job {id}", "fr": "pas de travail {id}"},
    "err.jobs.no_job.hint": {"en": "see `centrale jobs list`", "fr": "voir `centrale jobs list`"},
    "err.jobs.not_retryable": {
        "en": "job {id} is {status}; only failed or expired jobs are retried",
        "fr": "le travail {id} est {status} ; seuls les travaux en échec ou expirés sont relancés",
    },
    "err.jobs.hq_unreachable": {
        "en": "cannot reach head office {where}: {error}",
        "fr": "impossible de joindre le siège {where} : {error}",
    },
    "err.jobs.no_known_store": {
        "en": "head office knows no store yet",
        "fr": "le siège ne connaît encore aucun magasin",
    },
    "err.jobs.no_known_store.hint": {
        "en": "use --store N, or fill the `stores` table",
        "fr": "utiliser --store N, ou remplir la table `stores`",
    },
    "err.pull.unknown": {"en": "`{group}` cannot be pulled", "fr": "`{group}` ne peut pas être récupéré"},
    "err.pull.no_key": {
        "en": "table `{table}` has no primary key at the store",
        "fr": "la table `{table}` n'a pas de clé primaire au magasin",
    },
    "err.pull.no_key.hint": {"en": "set tables.{table}.key", "fr": "renseigner tables.{table}.key"},
    "err.pull.key_missing": {
        "en": "key column(s) {columns} of `{table}` missing at head office or the store",
        "fr": "colonne(s) de clé {columns} de `{table}` absente(s) au siège ou au magasin",
    },
    "err.pull.empty_group": {
        "en": "no reference or shared table in group `{group}`",
        "fr": "aucune table de référence ou partagée dans le groupe `{group}`",
    },
    "err.pull.empty_group.hint": {
        "en": "check the catalog's [tables.*] groups",
        "fr": "vérifier les groupes [tables.*] du catalogue",
    },
    "err.pull.no_table_store": {
        "en": "table `{table}` does not exist at the store",
        "fr": "la table `{table}` n'existe pas au magasin",
    },
    "err.pull.no_table_store.hint": {
        "en": "create it (same definition as head office's)",
        "fr": "la créer (même définition qu'au siège)",
    },
    "err.pull.no_table_hq": {
        "en": "table `{table}` does not exist at head office",
        "fr": "la table `{table}` n'existe pas au siège",
    },
    "err.pull.no_table_hq.hint": {
        "en": "create it there, or fix the catalog",
        "fr": "la créer au siège, ou corriger le catalogue",
    },
    "err.pull.store_failed": {
        "en": "pull {group} failed at the store and wrote nothing: {error}",
        "fr": "la récupération {group} a échoué au magasin et n'a rien écrit : {error}",
    },
    "err.pull.store_busy": {
        "en": "pull {group} wrote nothing: rows it must change stayed locked by the store's own transactions "
        "(sales) for {seconds} s, and a pull gives way to them",
        "fr": "la récupération {group} n'a rien écrit : des lignes à modifier sont restées verrouillées par les "
        "transactions du magasin (des ventes) pendant {seconds} s, et une récupération leur cède le pas",
    },
    "err.pull.store_busy.hint": {
        "en": "a transaction left open at the store holds them (information_schema.INNODB_TRX there names it); "
        "the job runs again at the next tick, or run `centrale pull {group}`",
        "fr": "une transaction restée ouverte au magasin les garde (information_schema.INNODB_TRX l'indique) ; "
        "le travail est relancé au prochain passage, ou lancer `centrale pull {group}`",
    },
    "err.pull.delete_refused": {
        "en": "pull {group} wrote nothing: the store refused to delete {n} row(s) of `{table}` that head office "
        "deleted (the first: {key}): rows of the store's table `{child}` still reference it, and its constraint "
        "`{constraint}` ({columns} -> `{parent}`) is ON DELETE {rule}",
        "fr": "la récupération {group} n'a rien écrit : le magasin a refusé de supprimer {n} ligne(s) de `{table}` "
        "supprimée(s) au siège (la première : {key}) : des lignes de la table `{child}` du magasin y renvoient "
        "encore, et sa contrainte `{constraint}` ({columns} -> `{parent}`) est en ON DELETE {rule}",
    },
    "err.pull.delete_refused.hint": {
        "en": "delete or re-point those `{child}` rows, or make constraint `{constraint}` ON DELETE CASCADE or SET "
        "NULL at the store; then run the pull again (`centrale pull {group}`, or `centrale jobs retry ID` at head "
        "office)",
        "fr": "supprimer ces lignes de `{child}` ou les faire pointer ailleurs, ou passer la contrainte "
        "`{constraint}` en ON DELETE CASCADE ou SET NULL au magasin ; puis relancer la récupération "
        "(`centrale pull {group}`, ou `centrale jobs retry ID` au siège)",
    },
    "err.pull.delete_refused.pull_first": {
        "en": "`{child}` comes from head office with pull {child_group}, which removes the rows head office "
        "deleted: run `centrale pull {child_group}` first, then `centrale pull {group}` again (or retry the job "
        "at head office: `centrale jobs retry ID`)",
        "fr": "`{child}` vient du siège par la récupération {child_group}, qui retire les lignes supprimées au "
        "siège : lancer d'abord `centrale pull {child_group}`, puis de nouveau `centrale pull {group}` (ou relancer "
        "le travail au siège : `centrale jobs retry ID`)",
    },
    "err.pull.delete_refused_raw": {
        "en": "pull {group} wrote nothing: the store refused to delete {n} row(s) of `{table}` that head office "
        "deleted (the first: {key}): {error}",
        "fr": "la récupération {group} n'a rien écrit : le magasin a refusé de supprimer {n} ligne(s) de `{table}` "
        "supprimée(s) au siège (la première : {key}) : {error}",
    },
    "err.pull.delete_refused_raw.hint": {
        "en": "delete or re-point the store's rows that reference it, or make their foreign key ON DELETE CASCADE "
        "or SET NULL; then run the pull again (`centrale pull {group}`, or `centrale jobs retry ID` at head office)",
        "fr": "supprimer les lignes du magasin qui y renvoient ou les faire pointer ailleurs, ou passer leur clé "
        "étrangère en ON DELETE CASCADE ou SET NULL ; puis relancer la récupération (`centrale pull {group}`, ou "
        "`centrale jobs retry ID` au siège)",
    },
    "err.reconcile.no_table": {
        "en": "no catalog table has both since_column and sum_column",
        "fr": "aucune table du catalogue n'a à la fois since_column et sum_column",
    },
    "err.reconcile.no_table.hint": {"en": "see schema/catalog.toml", "fr": "voir schema/catalog.toml"},
    "err.reconcile.connect": {
        "en": "reconcile cannot connect: {error}",
        "fr": "le rapprochement ne peut pas se connecter : {error}",
    },
}
