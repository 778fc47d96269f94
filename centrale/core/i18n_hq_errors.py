"""The catalog's errors of head-office administration (`hq init`, `hq add-store`, per-store
accounts, head office's checks), in English and French: part of ``i18n_errors.ERROR_MESSAGES``.
Also what `hq init --adopt` says of head office's own tables (``out.hq_init.adopted`` ...).
"""

from __future__ import annotations

HQ_ERROR_MESSAGES: dict[str, dict[str, str]] = {
    "err.hq.other_number": {
        "en": "{database} is already the head office of store number {number}, not {store}",
        "fr": "{database} est déjà le siège du magasin numéro {number}, pas {store}",
    },
    "err.hq.other_number.hint": {
        "en": "check site.hq_store, or re-run `centrale hq init --force` to change it",
        "fr": "vérifier site.hq_store, ou relancer `centrale hq init --force` pour le changer",
    },
    "err.hq.store_config": {
        "en": '{path} is a store\'s configuration (site.role = "store")',
        "fr": '{path} est la configuration d\'un magasin (site.role = "store")',
    },
    "err.hq.store_config.hint": {
        "en": "run `centrale --config hq.toml {command}` with head office's own configuration",
        "fr": "lancer `centrale --config hq.toml {command}` avec la configuration du siège",
    },
    "err.hq.tables_from": {
        "en": "cannot read table definitions from {where}: {error}",
        "fr": "impossible de lire les définitions de tables de {where} : {error}",
    },
    "err.hq.tables_from.hint": {
        "en": "--tables-from takes a store database URL, e.g. mysql://user:password@store-host/pos",
        "fr": "--tables-from prend l'URL de la base d'un magasin, par exemple "
        "mysql://utilisateur:motdepasse@hote-magasin/pos",
    },
    "err.hq.add_store": {
        "en": "creating store {store}'s account failed: {error}",
        "fr": "la création du compte du magasin {store} a échoué : {error}",
    },
    "err.hq.add_store.hint": {
        "en": "run `centrale hq init` first, as an administrator with CREATE USER and GRANT OPTION",
        "fr": "lancer d'abord `centrale hq init`, en administrateur avec CREATE USER et GRANT OPTION",
    },
    "err.hq.name_too_long": {
        "en": "head-office database name {database!r} is too long for its store views database {name!r}",
        "fr": "le nom de base du siège {database!r} est trop long pour sa base de vues des magasins {name!r}",
    },
    "err.hq.name_too_long.hint": {
        "en": "use a head-office database name of at most 57 characters",
        "fr": "utiliser un nom de base du siège de 57 caractères au plus",
    },
    "err.hq.lacks": {"en": "head office lacks {table}", "fr": "il manque {table} au siège"},
    "err.hq.run_init_first.hint": {"en": "run `centrale hq init` first", "fr": "lancer d'abord `centrale hq init`"},
    "err.hq.bad_store": {
        "en": "store number {store} is not valid",
        "fr": "le numéro de magasin {store} n'est pas valide",
    },
    "err.hq.bad_store.hint": {
        "en": "store numbers are positive integers",
        "fr": "les numéros de magasin sont des entiers positifs",
    },
    "err.hq.own_number": {
        "en": "store {store} is head office's own number",
        "fr": "{store} est le numéro du siège lui-même",
    },
    "err.hq.own_number.hint": {
        "en": "head office uses its administrator account",
        "fr": "le siège utilise son compte administrateur",
    },
    "err.hq.bad_account": {
        "en": "account name {account!r} is not valid",
        "fr": "le nom de compte {account!r} n'est pas valide",
    },
    "err.hq.bad_account.hint": {
        "en": "use letters, digits, '_', '.', '-'",
        "fr": "utiliser des lettres, des chiffres, '_', '.', '-'",
    },
    "err.hq.bad_host": {"en": "host pattern {host!r} is not valid", "fr": "le motif d'hôte {host!r} n'est pas valide"},
    "err.hq.bad_host.hint": {"en": "e.g. '%' or the store's address", "fr": "par exemple '%' ou l'adresse du magasin"},
    "err.hq.account_taken": {
        "en": "account {account!r} already belongs to store {owner}",
        "fr": "le compte {account!r} appartient déjà au magasin {owner}",
    },
    "err.hq.account_taken.hint": {
        "en": "choose another name with --user, e.g. centrale_store_{store}",
        "fr": "choisir un autre nom avec --user, par exemple centrale_store_{store}",
    },
    "err.hq.account_exists": {
        "en": "account {account}@{host} already exists",
        "fr": "le compte {account}@{host} existe déjà",
    },
    "err.hq.account_exists.hint": {
        "en": "`centrale hq add-store {store} --rotate` gives it a new password",
        "fr": "`centrale hq add-store {store} --rotate` lui donne un nouveau mot de passe",
    },
    "err.hq.no_tables": {
        "en": "head office has no table {tables} yet, so store accounts cannot be granted them",
        "fr": "le siège n'a pas encore de table {tables}, les comptes des magasins ne peuvent donc pas y avoir droit",
    },
    "err.hq.tables_from_url.hint": {
        "en": "run `centrale --config hq.toml hq init --tables-from URL` with any store's database URL",
        "fr": "lancer `centrale --config hq.toml hq init --tables-from URL` avec l'URL de la base de n'importe quel "
        "magasin",
    },
    "err.hq.old_tables": {
        "en": "head office's bookkeeping tables are older than this Centrale",
        "fr": "les tables de suivi du siège sont plus anciennes que ce Centrale",
    },
    "err.hq.not_initialised": {
        "en": "this database is not initialised as head office",
        "fr": "cette base n'est pas initialisée comme siège",
    },
    "err.hq.run_init.hint": {"en": "run `centrale hq init`", "fr": "lancer `centrale hq init`"},
    # --- hq init --adopt: head office's own tables named like captured ones -------------------
    "err.hq.adopt.and": {"en": "{first}; {rest}", "fr": "{first} ; {rest}"},
    "err.hq.adopt.no_origin": {"en": "{table} has no {column} column", "fr": "{table} n'a pas de colonne {column}"},
    "err.hq.adopt.key": {
        "en": "{table}'s primary key is ({key}), head office's layout wants ({wanted})",
        "fr": "la clé primaire de {table} est ({key}), la disposition du siège veut ({wanted})",
    },
    "err.hq.adopt.no_unique": {
        "en": "{table} has no unique key on its catalog key ({key})",
        "fr": "{table} n'a pas de clé unique sur sa clé du catalogue ({key})",
    },
    "err.hq.adopt.no_key": {
        "en": "{table} has no primary key and the catalog names none (tables.{table}.key)",
        "fr": "{table} n'a pas de clé primaire et le catalogue n'en nomme aucune (tables.{table}.key)",
    },
    "err.hq.adopt.lacks_key": {
        "en": "{table} lacks its key column(s) {columns}",
        "fr": "il manque à {table} sa ou ses colonnes de clé {columns}",
    },
    "err.hq.adopt.unfilled": {
        "en": "{table} has NOT NULL column(s) without a default that stores' rows do not carry: {columns}",
        "fr": "{table} a des colonnes NOT NULL sans valeur par défaut que les lignes des magasins ne portent "
        "pas : {columns}",
    },
    "err.hq.adopt.null_key": {
        "en": "{table} has {n} row(s) with no value in its key column(s) {key}",
        "fr": "{table} a {n} ligne(s) sans valeur dans sa ou ses colonnes de clé {key}",
    },
    "err.hq.adopt.duplicates": {
        "en": "{table} has {n} key value(s) held by more than one row on ({key}): {values}",
        "fr": "{table} a {n} valeur(s) de clé portée(s) par plusieurs lignes sur ({key}) : {values}",
    },
    "err.hq.adopt.foreign_key": {
        "en": "{table}'s foreign key {name} refers to {parent} ({columns}), which cannot be made per store",
        "fr": "la clé étrangère {name} de {table} pointe sur {parent} ({columns}), qui ne peut pas être par magasin",
    },
    "err.hq.other_layout": {
        "en": "head office already has tables named like captured ones, in another layout (head office's own "
        "POS tables?): {tables}",
        "fr": "le siège a déjà des tables du nom de tables capturées, dans une autre disposition (les tables de "
        "la caisse du siège ?) : {tables}",
    },
    "err.hq.other_layout.hint": {
        "en": "`centrale --config hq.toml hq init --adopt` (with --tables-from URL if you use it) converts them: "
        "{column} added to the key, head office's own rows as store {store}'s; reference tables stay as they are",
        "fr": "`centrale --config hq.toml hq init --adopt` (avec --tables-from URL si vous l'utilisez) les "
        "convertit : {column} ajoutée à la clé, les lignes du siège au numéro {store} ; les tables de référence "
        "restent telles quelles",
    },
    "err.hq.cannot_adopt": {
        "en": "cannot adopt head office's tables: {tables}",
        "fr": "impossible d'adopter les tables du siège : {tables}",
    },
    "err.hq.cannot_adopt.hint": {
        "en": "nothing was changed; fix these tables at head office (or their catalog entries), then re-run "
        "`centrale --config hq.toml hq init --adopt`",
        "fr": "rien n'a été changé ; corriger ces tables au siège (ou leurs entrées du catalogue), puis relancer "
        "`centrale --config hq.toml hq init --adopt`",
    },
    "err.hq.adopt_failed": {
        "en": "converting head office's table {table} failed: {error}",
        "fr": "la conversion de la table {table} du siège a échoué : {error}",
    },
    "err.hq.adopt_failed.hint": {
        "en": "tables converted before it stay converted ({done}); fix the cause, then re-run "
        "`centrale --config hq.toml hq init --adopt`",
        "fr": "les tables converties avant elle le restent ({done}) ; corriger la cause, puis relancer "
        "`centrale --config hq.toml hq init --adopt`",
    },
    "out.hq_init.adopted": {
        "en": "tables adopted ({column} added to the key, head office's own rows as store {store}'s): {tables}",
        "fr": "tables adoptées ({column} ajoutée à la clé, les lignes du siège au numéro {store}) : {tables}",
    },
    "out.hq_init.kept_reference": {
        "en": "reference tables left as they are (head office's own, sent to stores): {tables}",
        "fr": "tables de référence laissées telles quelles (celles du siège, envoyées aux magasins) : {tables}",
    },
    "out.hq_init.kept": {
        "en": "tables already in head office's layout, left as they are: {tables}",
        "fr": "tables déjà dans la disposition du siège, laissées telles quelles : {tables}",
    },
}
