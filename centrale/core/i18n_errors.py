"""The catalog's errors: each ``CentraleError``'s message and hint, in English and French.

Part of the one catalog (``centrale.core.i18n.MESSAGES``); keys are ``err.<area>.<what>`` and a
hint's key ends in ``.hint``. Store = magasin, head office = siège, outbox = file d'envoi.
"""

from __future__ import annotations

from centrale.core.i18n_hq_errors import HQ_ERROR_MESSAGES

ERROR_MESSAGES: dict[str, dict[str, str]] = {
    # --- configuration ------------------------------------------------------------------------
    "err.config.no_file": {"en": "no configuration file given", "fr": "aucun fichier de configuration indiqué"},
    "err.config.no_file.hint": {
        "en": "pass --config PATH or set {env}=PATH",
        "fr": "passer --config CHEMIN ou définir {env}=CHEMIN",
    },
    "err.config.readable": {
        "en": "{path} is readable by other users (mode {mode}); it may hold passwords: run `chmod 600 {path}`",
        "fr": "{path} est lisible par les autres utilisateurs (mode {mode}) ; il peut contenir des mots de passe : "
        "lancer `chmod 600 {path}`",
    },
    "err.config.password_env": {
        "en": "{path}: hq.password_env names ${var}, which is not set",
        "fr": "{path} : hq.password_env désigne ${var}, qui n'est pas définie",
    },
    "err.config.password_env.hint": {
        "en": "export {var}=... before starting, or set hq.password",
        "fr": "exporter {var}=... avant de démarrer, ou renseigner hq.password",
    },
    "err.config.console_open": {
        "en": "{path}: `console.host` = {host!r} is reachable from other machines and `console.password` is not set",
        "fr": "{path} : `console.host` = {host!r} est joignable depuis d'autres machines et `console.password` "
        "n'est pas renseigné",
    },
    "err.config.console_open.hint": {
        "en": 'set console.password (or CENTRALE_CONSOLE_PASSWORD), or keep console.host = "127.0.0.1"',
        "fr": 'renseigner console.password (ou CENTRALE_CONSOLE_PASSWORD), ou garder console.host = "127.0.0.1"',
    },
    "err.config.tables": {"en": "{path}: {error}", "fr": "{path} : {error}"},
    "err.config.tables.hint": {"en": "fix the [tables.*] entries", "fr": "corriger les entrées [tables.*]"},
    "err.config.hq_missing": {
        "en": "{path}: a store needs the head-office coordinates; missing {keys}",
        "fr": "{path} : un magasin a besoin des coordonnées du siège ; il manque {keys}",
    },
    "err.config.hq_missing.hint": {
        "en": "run `centrale config set {key} VALUE` for each",
        "fr": "lancer `centrale config set {key} VALEUR` pour chacune",
    },
    "err.config.flag": {"en": "--{key} {value!r}: {error}", "fr": "--{key} {value!r} : {error}"},
    "err.config.flag.hint": {"en": "fix the --{key} flag", "fr": "corriger l'option --{key}"},
    "err.config.tls_file": {
        "en": "{path}: `{key}` = {value!r}: no such file",
        "fr": "{path} : `{key}` = {value!r} : fichier introuvable",
    },
    "err.config.tls_file.hint": {
        "en": "copy the file there or fix {key}",
        "fr": "copier le fichier à cet endroit ou corriger {key}",
    },
    "err.config.tls_pair": {
        "en": "{path}: `hq.ssl_cert` and `hq.ssl_key` go together",
        "fr": "{path} : `hq.ssl_cert` et `hq.ssl_key` vont ensemble",
    },
    "err.config.tls_pair.hint": {"en": "set both, or neither", "fr": "renseigner les deux, ou aucun"},
    "err.config.not_found": {
        "en": "configuration file {path} does not exist",
        "fr": "le fichier de configuration {path} n'existe pas",
    },
    "err.config.not_found.hint": {
        "en": "check the path given with --config / CENTRALE_CONFIG (examples/store.toml is a starting point)",
        "fr": "vérifier le chemin donné par --config / CENTRALE_CONFIG (examples/store.toml est un point de départ)",
    },
    "err.config.set_not_found.hint": {"en": "check --config", "fr": "vérifier --config"},
    "err.config.unreadable": {"en": "cannot read {path}: {error}", "fr": "impossible de lire {path} : {error}"},
    "err.config.unreadable.hint": {"en": "check its permissions", "fr": "vérifier ses droits d'accès"},
    "err.config.toml": {"en": "{path} is not valid TOML: {error}", "fr": "{path} n'est pas un TOML valide : {error}"},
    "err.config.toml.hint": {"en": "fix the syntax at that line", "fr": "corriger la syntaxe à cette ligne"},
    "err.config.unknown_key": {"en": "{path}: unknown key `{key}`", "fr": "{path} : clé inconnue `{key}`"},
    "err.config.unknown_key.hint": {
        "en": "remove it or fix its spelling; see the configuration reference",
        "fr": "la retirer ou corriger son orthographe ; voir la référence de la configuration",
    },
    "err.config.unknown_key.hint_section": {
        "en": "remove it or fix its spelling; see the configuration reference for [{section}]",
        "fr": "la retirer ou corriger son orthographe ; voir la référence de la configuration pour [{section}]",
    },
    "err.config.missing_key": {
        "en": "{path}: required key `{key}` is missing",
        "fr": "{path} : la clé obligatoire `{key}` manque",
    },
    "err.config.missing_key.hint": {
        "en": "add it, e.g. `centrale config set {key} VALUE`",
        "fr": "l'ajouter, par exemple `centrale config set {key} VALEUR`",
    },
    "err.config.bad_value": {"en": "{path}: `{key}` = {value}: {error}", "fr": "{path} : `{key}` = {value} : {error}"},
    "err.config.bad_value.hint": {
        "en": "fix it in the file or with `centrale config set {key} VALUE`",
        "fr": "la corriger dans le fichier ou avec `centrale config set {key} VALEUR`",
    },
    "err.config.not_dotted": {"en": "`{key}` is not a dotted key", "fr": "`{key}` n'est pas une clé pointée"},
    "err.config.not_dotted.hint": {
        "en": "use SECTION.KEY, e.g. `centrale config set hq.host 203.0.113.10`",
        "fr": "utiliser SECTION.CLÉ, par exemple `centrale config set hq.host 203.0.113.10`",
    },
    "err.config.left_unchanged": {
        "en": "{message} (file left unchanged)",
        "fr": "{message} (fichier laissé inchangé)",
    },
    # --- databases ------------------------------------------------------------------------------
    "err.db.bad_url": {"en": "`{key}` is not a valid database URL", "fr": "`{key}` n'est pas une URL de base valide"},
    "err.db.not_mysql": {"en": "`{key}` must be a mysql:// URL", "fr": "`{key}` doit être une URL mysql://"},
    "err.db.url.hint": {
        "en": "use mysql://user:pass@host:3306/database",
        "fr": "utiliser mysql://utilisateur:motdepasse@hôte:3306/base",
    },
    "err.db.no_database": {"en": "`{key}` names no database", "fr": "`{key}` ne nomme aucune base"},
    "err.db.no_database.hint": {"en": "end the URL with /DATABASE", "fr": "terminer l'URL par /BASE"},
    "err.db.no_hq": {
        "en": "head office is not defined (hq.host, hq.database, hq.user)",
        "fr": "le siège n'est pas défini (hq.host, hq.database, hq.user)",
    },
    "err.db.no_hq.hint": {
        "en": "run `centrale config set hq.host HOST` (and hq.port, hq.database, hq.user)",
        "fr": "lancer `centrale config set hq.host HÔTE` (et hq.port, hq.database, hq.user)",
    },
    "err.db.hint.access_denied": {
        "en": "check hq.user and hq.password (a head office that requires TLS also says this: set hq.ssl_ca)",
        "fr": "vérifier hq.user et hq.password (un siège qui exige TLS répond aussi ainsi : renseigner hq.ssl_ca)",
    },
    "err.db.hint.tls_required": {
        "en": "head office requires TLS: set hq.ssl_ca (its CA certificate) or hq.require_tls = true",
        "fr": "le siège exige TLS : renseigner hq.ssl_ca (son certificat d'autorité) ou hq.require_tls = true",
    },
    "err.db.hint.certificate": {
        "en": "head office's certificate is not signed by hq.ssl_ca, or does not name hq.host (hq.verify_hostname)",
        "fr": "le certificat du siège n'est pas signé par hq.ssl_ca, ou ne nomme pas hq.host (hq.verify_hostname)",
    },
    "err.db.hint.no_tls": {
        "en": "head office does not offer TLS: enable it there (ssl_cert/ssl_key in its my.cnf), "
        "or unset hq.require_tls",
        "fr": "le siège ne propose pas TLS : l'activer au siège (ssl_cert/ssl_key dans son my.cnf), "
        "ou retirer hq.require_tls",
    },
    "err.db.hint.unreachable": {
        "en": "check hq.host/hq.port, the link, and the port forward to head office's MariaDB",
        "fr": "vérifier hq.host/hq.port, la liaison et la redirection de port vers le MariaDB du siège",
    },
    "err.local.unreachable": {
        "en": "cannot connect to the local database {where}: {error}",
        "fr": "connexion impossible à la base locale {where} : {error}",
    },
    "err.local.unreachable.hint": {
        "en": "check [local] url and that MariaDB runs on this machine",
        "fr": "vérifier l'url de [local] et que MariaDB tourne sur cette machine",
    },
    "err.site.locked": {
        "en": "another `centrale run` (pid {pid}) already serves this site",
        "fr": "un autre `centrale run` (pid {pid}) sert déjà ce site",
    },
    "err.site.locked.hint": {
        "en": "stop it first, or point --config at another site",
        "fr": "l'arrêter d'abord, ou pointer --config vers un autre site",
    },
    # --- run --------------------------------------------------------------------------------------
    "err.run.at_hq": {
        "en": "`centrale run` serves a store; head office has nothing to capture",
        "fr": "`centrale run` sert un magasin ; le siège n'a rien à capturer",
    },
    "err.run.at_hq.hint": {
        "en": "at head office use `centrale console`, `centrale hq init`, `centrale status` and `centrale doctor`",
        "fr": "au siège, utiliser `centrale console`, `centrale hq init`, `centrale status` et `centrale doctor`",
    },
    "err.run.check": {"en": "{name}: {message}", "fr": "{name} : {message}"},
    # --- outbox -------------------------------------------------------------------------------------
    "err.outbox.full": {
        "en": "outbox {path} is full (disk full)",
        "fr": "la file d'envoi {path} est pleine (disque plein)",
    },
    "err.outbox.full_free": {
        "en": "outbox {path} is full (disk full, {free} free)",
        "fr": "la file d'envoi {path} est pleine (disque plein, {free} libres)",
    },
    "err.outbox.full.hint": {
        "en": "free space on that disk; capture resumes by itself from its checkpoint",
        "fr": "libérer de la place sur ce disque ; la capture reprend d'elle-même depuis son point de reprise",
    },
    "err.outbox.read_only": {"en": "read-only file system", "fr": "système de fichiers en lecture seule"},
    "err.outbox.read_only.fix": {
        "en": "remount the disk holding {folder} read-write",
        "fr": "remonter en lecture-écriture le disque qui contient {folder}",
    },
    "err.outbox.denied": {"en": "permission denied on {path}", "fr": "accès refusé à {path}"},
    "err.outbox.denied_folder.fix": {
        "en": "make {folder} writable by {user}",
        "fr": "rendre {folder} accessible en écriture à {user}",
    },
    "err.outbox.denied_file.fix": {
        "en": "make {path} readable and writable by {user}",
        "fr": "rendre {path} accessible en lecture et en écriture à {user}",
    },
    "err.outbox.unwritable": {
        "en": "outbox {path} is not writable ({what})",
        "fr": "la file d'envoi {path} n'est pas accessible en écriture ({what})",
    },
    "err.outbox.unwritable.hint": {
        "en": "{fix}; capture then resumes from its checkpoint (start `centrale run` again if it stopped)",
        "fr": "{fix} ; la capture reprend ensuite depuis son point de reprise "
        "(relancer `centrale run` s'il s'est arrêté)",
    },
    "err.outbox.sqlite": {"en": "outbox {path}: {error}", "fr": "file d'envoi {path} : {error}"},
    "err.outbox.sqlite.readonly.hint": {
        "en": "make {folder} writable by the Centrale user",
        "fr": "rendre {folder} accessible en écriture à l'utilisateur de Centrale",
    },
    "err.outbox.sqlite.disk.hint": {
        "en": "check the disk holding {path} (free space, kernel log); capture resumes from its checkpoint",
        "fr": "vérifier le disque qui contient {path} (place libre, journal du noyau) ; "
        "la capture reprend depuis son point de reprise",
    },
    "err.outbox.sqlite.locked.hint": {
        "en": "another Centrale process holds the outbox; wait or stop it",
        "fr": "un autre processus Centrale tient la file d'envoi ; attendre ou l'arrêter",
    },
    "err.outbox.sqlite.other.hint": {
        "en": "check {path} (a copy of the file helps support)",
        "fr": "vérifier {path} (une copie du fichier aide le support)",
    },
    "err.outbox.create": {
        "en": "outbox {path}: cannot create it ({error})",
        "fr": "file d'envoi {path} : impossible de la créer ({error})",
    },
    "err.outbox.create.hint": {
        "en": "make {folder} a writable folder for the Centrale user, or change outbox.path",
        "fr": "faire de {folder} un dossier accessible en écriture à l'utilisateur de Centrale, ou changer outbox.path",
    },
    "err.outbox.newer": {
        "en": "outbox {path} was written by a newer Centrale (schema {version})",
        "fr": "la file d'envoi {path} a été écrite par un Centrale plus récent (schéma {version})",
    },
    "err.outbox.newer.hint": {"en": "upgrade Centrale on this site", "fr": "mettre à jour Centrale sur ce site"},
    "err.outbox.no_seq": {
        "en": "no row with seq {seq} in the outbox",
        "fr": "aucune ligne de n° {seq} dans la file d'envoi",
    },
    "err.outbox.no_seq.hint": {
        "en": "list the rows with `centrale outbox list`",
        "fr": "lister les lignes avec `centrale outbox list`",
    },
    # --- console ------------------------------------------------------------------------------------
    "err.console.bad_store": {
        "en": "store {value!r} is not a store number",
        "fr": "{value!r} n'est pas un numéro de magasin",
    },
    "err.console.store_not_number": {
        "en": "a store number must be a number",
        "fr": "un numéro de magasin doit être un nombre",
    },
    "err.console.not_started": {
        "en": "the console did not start on {where}",
        "fr": "la console n'a pas démarré sur {where}",
    },
    "err.console.not_started.hint": {
        "en": "see the log; or console.enabled = false",
        "fr": "voir le journal ; ou console.enabled = false",
    },
    "err.console.port_in_use": {
        "en": "console.port {port} is already in use on {host}",
        "fr": "console.port {port} est déjà utilisé sur {host}",
    },
    "err.console.port_in_use.hint": {
        "en": "choose another with `centrale config set console.port N` (or --port N), or set console.enabled = false",
        "fr": "en choisir un autre avec `centrale config set console.port N` (ou --port N), "
        "ou mettre console.enabled = false",
    },
    "err.console.cannot_listen": {
        "en": "the console cannot listen on {host}:{port} (console.host, console.port): {error}",
        "fr": "la console ne peut pas écouter sur {host}:{port} (console.host, console.port) : {error}",
    },
    "err.console.cannot_listen.hint": {
        "en": "fix console.host / console.port",
        "fr": "corriger console.host / console.port",
    },
    # --- shared ---------------------------------------------------------------------------------------
    "err.choose": {"en": "choose one of: {among}", "fr": "choisir parmi : {among}"},
    "err.date.bad": {"en": "{value!r} is not a date", "fr": "{value!r} n'est pas une date"},
    "err.date.bad.hint": {"en": "use YYYY-MM-DD", "fr": "utiliser AAAA-MM-JJ"},
    "err.date.since": {"en": "--since {value!r} is not a date", "fr": "--since {value!r} n'est pas une date"},
    "err.doctor.see.hint": {"en": "see `centrale doctor`", "fr": "voir `centrale doctor`"},
    # --- command line -------------------------------------------------------------------------------
    "err.cli.config_set_pairs": {
        "en": "config set takes KEY VALUE pairs",
        "fr": "config set prend des paires CLÉ VALEUR",
    },
    "err.cli.config_set_pairs.hint": {
        "en": "e.g. `centrale config set hq.port 2618`",
        "fr": "par exemple `centrale config set hq.port 2618`",
    },
    "err.cli.no_sync": {"en": "`sync {what}` does not exist", "fr": "`sync {what}` n'existe pas"},
    "err.cli.no_sync.hint": {"en": "only `centrale sync customers`", "fr": "seulement `centrale sync customers`"},
    "err.hq.remote_not_initialised": {
        "en": "{where} is not initialised as a head office",
        "fr": "{where} n'est pas initialisé comme siège",
    },
    "err.hq.remote_not_initialised.hint": {
        "en": "run `centrale --config hq.toml hq init` at head office",
        "fr": "lancer `centrale --config hq.toml hq init` au siège",
    },
    "err.hq.wrong_hq.hint": {
        "en": "point [hq] at your chain's head office, or fix site.hq_store",
        "fr": "faire pointer [hq] vers le siège de votre enseigne, ou corriger site.hq_store",
    },
    "err.hq.account_of_other": {
        "en": "head-office account {user!r} belongs to store {owner}, but this is store {store}",
        "fr": "le compte du siège {user!r} appartient au magasin {owner}, mais ce magasin est le {store}",
    },
    "err.hq.account_of_other.hint": {
        "en": "fix site.store, or use store {store}'s account (`centrale hq add-store {store}`)",
        "fr": "corriger site.store, ou utiliser le compte du magasin {store} (`centrale hq add-store {store}`)",
    },
    "err.snapshot.reload.hint": {
        "en": "run `centrale snapshot` to reload every captured table and resume from now",
        "fr": "lancer `centrale snapshot` pour recharger toutes les tables capturées "
        "et reprendre à partir de maintenant",
    },
    **HQ_ERROR_MESSAGES,
}
