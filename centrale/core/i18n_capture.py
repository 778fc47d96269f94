"""The catalog's messages of capture's refusals: each names what, where (table, binlog position),
why, and the fix. Part of the one catalog (``centrale.core.i18n.MESSAGES``), like ``i18n_rooms``.
"""

from __future__ import annotations

CAPTURE_MESSAGES: dict[str, dict[str, str]] = {
    "err.capture.stopped": {
        "en": "capture stopped at binlog position {position}: {what}",
        "fr": "capture arrêtée à la position binlog {position} : {what}",
    },
    "err.capture.unreadable": {
        "en": "an event that cannot be read ({error})",
        "fr": "un événement illisible ({error})",
    },
    "err.capture.unreadable.hint": {
        "en": "check the binlog with `mariadb-binlog` (or `mysqlbinlog`) at that position; if it is damaged, "
        "`centrale snapshot` reloads every captured table and resumes after it",
        "fr": "examiner le binlog avec `mariadb-binlog` (ou `mysqlbinlog`) à cette position ; s'il est abîmé, "
        "`centrale snapshot` recharge toutes les tables capturées et reprend après",
    },
    "err.capture.unknown_event": {
        "en": "an event of type {type}, which Centrale does not know and the server does not mark as ignorable",
        "fr": "un événement de type {type}, que Centrale ne connaît pas et que le serveur ne dit pas ignorable",
    },
    "err.capture.unknown_event.hint": {
        "en": "turn off the server option that writes it, or use a Centrale that knows it; then `centrale snapshot` "
        "(see docs/capture.md)",
        "fr": "désactiver l'option du serveur qui l'écrit, ou utiliser un Centrale qui le connaît ; puis "
        "`centrale snapshot` (voir docs/capture.md)",
    },
    "err.capture.payload": {
        "en": "a compressed transaction payload (binlog_transaction_compression=ON) that reached the library unread",
        "fr": "une transaction compressée (binlog_transaction_compression=ON) parvenue à la bibliothèque sans être lue",
    },
    "err.capture.payload.hint": {
        "en": "this is a bug of Centrale's reader: report it; meanwhile SET PERSIST binlog_transaction_compression=OFF "
        "on the store's server, then `centrale snapshot`",
        "fr": "c'est un défaut du lecteur de Centrale : le signaler ; en attendant, SET PERSIST "
        "binlog_transaction_compression=OFF sur le serveur du magasin, puis `centrale snapshot`",
    },
    "err.capture.incident": {
        "en": "an incident event: the server says changes are missing from its binlog here",
        "fr": "un événement d'incident : le serveur signale qu'il manque des changements dans son binlog ici",
    },
    "err.capture.incident.hint": {
        "en": "run `centrale snapshot` to reload every captured table and resume after it",
        "fr": "lancer `centrale snapshot` pour recharger toutes les tables capturées et reprendre après",
    },
    "err.capture.partial_json": {
        "en": "a partial JSON update of table {table} (binlog_row_value_options=PARTIAL_JSON): the rows are not whole",
        "fr": "une mise à jour JSON partielle de la table {table} (binlog_row_value_options=PARTIAL_JSON) : "
        "les lignes ne sont pas complètes",
    },
    "err.capture.partial_json.hint": {
        "en": "SET PERSIST binlog_row_value_options='' on the store's server, then `centrale snapshot {table}`",
        "fr": "SET PERSIST binlog_row_value_options='' sur le serveur du magasin, puis `centrale snapshot {table}`",
    },
    "err.capture.columns": {
        "en": "capture stopped: rows of table {table} at binlog position {position} lack column(s) {columns} "
        "(written before a column was renamed, or without names: binlog_row_metadata=MINIMAL)",
        "fr": "capture arrêtée : des lignes de la table {table} à la position binlog {position} n'ont pas la ou "
        "les colonnes {columns} (écrites avant qu'une colonne soit renommée, ou sans noms : "
        "binlog_row_metadata=MINIMAL)",
    },
    "err.capture.snapshot_table.hint": {
        "en": "check binlog_row_metadata=FULL on the store's server, then run `centrale snapshot {table}`: capture "
        "resumes past these rows, which the snapshot holds",
        "fr": "vérifier binlog_row_metadata=FULL sur le serveur du magasin, puis lancer `centrale snapshot {table}` : "
        "la capture reprend après ces lignes, que l'instantané contient",
    },
    "err.capture.statement": {
        "en": "capture stopped: a change to {tables} at binlog position {position} was logged as a statement, "
        "not as rows (a session with binlog_format=STATEMENT or MIXED): {query}",
        "fr": "capture arrêtée : un changement de {tables} à la position binlog {position} a été journalisé comme "
        "une requête et non comme des lignes (une session en binlog_format=STATEMENT ou MIXED) : {query}",
    },
    "err.capture.statement.hint": {
        "en": "stop whatever sets binlog_format in its session (an import script, a DBA's repair), then run "
        "`centrale snapshot {tables}`: capture resumes past the statement, whose effect the snapshot holds",
        "fr": "arrêter ce qui change binlog_format dans sa session (un script d'import, une réparation), puis "
        "lancer `centrale snapshot {tables}` : la capture reprend après la requête, dont l'instantané contient l'effet",
    },
    "err.capture.statement_indirect": {
        "en": "capture stopped: a statement at binlog position {position} was logged as a statement, not as rows, "
        "and writes {objects}, whose triggers, view or function may change captured tables: {query}",
        "fr": "capture arrêtée : une requête à la position binlog {position} a été journalisée comme une requête "
        "et non comme des lignes, et écrit {objects}, dont les déclencheurs, la vue ou la fonction peuvent modifier "
        "des tables capturées : {query}",
    },
    "err.capture.statement_indirect.hint": {
        "en": "stop whatever sets binlog_format in its session, then run `centrale snapshot` (every table): capture "
        "resumes past the statement, whose effects the snapshot holds",
        "fr": "arrêter ce qui change binlog_format dans sa session, puis lancer `centrale snapshot` (toutes les "
        "tables) : la capture reprend après la requête, dont l'instantané contient les effets",
    },
    "err.capture.replaced": {
        "en": "capture stopped: table(s) {tables} were renamed or swapped at binlog position {position} (RENAME "
        "TABLE, ALTER TABLE ... RENAME, EXCHANGE PARTITION): the name now holds rows the binlog never showed as rows",
        "fr": "capture arrêtée : la ou les tables {tables} ont été renommées ou échangées à la position binlog "
        "{position} (RENAME TABLE, ALTER TABLE ... RENAME, EXCHANGE PARTITION) : le nom désigne maintenant des "
        "lignes que le binlog n'a jamais montrées comme lignes",
    },
    "err.capture.replaced.hint": {
        "en": "run `centrale snapshot {tables}` (capture resumes past the rename, whose result the snapshot holds); "
        "for a table gone for good, remove it from the catalog",
        "fr": "lancer `centrale snapshot {tables}` (la capture reprend après le renommage, dont l'instantané contient "
        "le résultat) ; pour une table supprimée pour de bon, la retirer du catalogue",
    },
    "err.capture.load_data": {
        "en": "capture stopped: a LOAD DATA at binlog position {position} was logged as a statement, not as rows "
        "(a session with binlog_format=STATEMENT or MIXED): its rows are not in the binlog",
        "fr": "capture arrêtée : un LOAD DATA à la position binlog {position} a été journalisé comme une requête et "
        "non comme des lignes (une session en binlog_format=STATEMENT ou MIXED) : ses lignes ne sont pas dans le "
        "binlog",
    },
    "err.capture.truncate_shared": {
        "en": "capture stopped: shared table {table} was truncated at binlog position {position}; head office "
        "cannot tell which of the chain's rows this store meant to delete",
        "fr": "capture arrêtée : la table partagée {table} a été vidée (TRUNCATE) à la position binlog {position} ; "
        "le siège ne peut pas savoir quelles lignes de l'enseigne ce magasin voulait supprimer",
    },
    "err.capture.truncate_shared.hint": {
        "en": "reload the store's rows with a pull from head office, then run `centrale snapshot {table}`",
        "fr": "recharger les lignes du magasin par une réception depuis le siège, puis lancer "
        "`centrale snapshot {table}`",
    },
    "err.capture.xa_unknown": {
        "en": "capture stopped: XA COMMIT of {xid} at binlog position {position}, prepared before capture began "
        "(its rows were written to the binlog before the checkpoint)",
        "fr": "capture arrêtée : XA COMMIT de {xid} à la position binlog {position}, préparée avant le début de la "
        "capture (ses lignes sont dans le binlog avant le point de reprise)",
    },
    "err.capture.xa_unknown.hint": {
        "en": "run `centrale snapshot` (every table): capture resumes past the commit, whose rows the snapshot holds",
        "fr": "lancer `centrale snapshot` (toutes les tables) : la capture reprend après le commit, dont "
        "l'instantané contient les lignes",
    },
    "err.capture.outbox_lost": {
        "en": "this store's outbox is new, and head office holds its rows up to binlog position {position}, "
        "which the store's binlog no longer has (or holds other transactions at: its database was put back from "
        "a backup): the sales after it cannot be captured again",
        "fr": "la boîte d'envoi de ce magasin est neuve, et le siège a ses lignes jusqu'à la position {position} "
        "du binlog, que le binlog du magasin n'a plus (ou où il a d'autres transactions : sa base a été "
        "restaurée) : les ventes suivantes ne peuvent pas être recapturées",
    },
    "err.capture.outbox_lost.hint": {
        "en": "run `centrale snapshot` (every table): head office then holds the store's tables as they are, "
        "and capture starts after the snapshot",
        "fr": "lancer `centrale snapshot` (toutes les tables) : le siège a alors les tables du magasin telles "
        "qu'elles sont, et la capture reprend après l'instantané",
    },
}
