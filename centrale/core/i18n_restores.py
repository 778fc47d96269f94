"""Messages of the check made when an outbox turns out to be an earlier copy
(``centrale.app.restorecheck``), en and fr."""

from __future__ import annotations

RESTORE_MESSAGES: dict[str, dict[str, str]] = {
    "out.restore.table": {
        "en": "{table}: {n} rows of head office replaced by the store's (head office's saved first); keys: {keys}",
        "fr": "{table} : {n} lignes du siège remplacées par celles du magasin (celles du siège gardées avant) ; "
        "clés : {keys}",
    },
    "out.restore.kept": {
        "en": "{table}: {n} rows head office holds and the store does not are left there until the store writes "
        "rows under their keys (sales of the lost future, or older history; all in the file)",
        "fr": "{table} : {n} lignes que le siège a et le magasin non y restent jusqu'à ce que le magasin écrive "
        "des lignes sous leurs clés (ventes de l'avenir perdu, ou historique plus ancien ; toutes dans le fichier)",
    },
    "out.restore.saved": {
        "en": "head office's {n} differing rows are saved in {path}",
        "fr": "les {n} lignes différentes du siège sont gardées dans {path}",
    },
    "out.restore.summary": {
        "en": "{at}: {replaced} rows of head office replaced by the store's, {kept} held there alone; saved: {path}",
        "fr": "{at} : {replaced} lignes du siège remplacées par celles du magasin, {kept} seules là-bas ; "
        "copie : {path}",
    },
    "out.restore.nothing": {
        "en": "head office held nothing the store does not: nothing replaced",
        "fr": "le siège n'avait rien que le magasin n'ait pas : rien de remplacé",
    },
    "log.restore.found": {
        "en": "{why}: head office's rows of this store are compared with the store's before more rows ship",
        "fr": "{why} : les lignes du siège pour ce magasin sont comparées à celles du magasin avant d'en envoyer "
        "d'autres",
    },
    "status.restore": {
        "en": "an earlier copy of the outbox was found, head office compared: {summary}",
        "fr": "une copie plus ancienne de la boîte d'envoi a été trouvée, siège comparé : {summary}",
    },
    "log.capture.new_outbox_waits": {
        "en": "a new outbox: capture starts where head office holds this store's rows up to, and head office "
        "cannot say now ({error}); asking again in {wait} s (`centrale snapshot` starts it without head office)",
        "fr": "nouvelle boîte d'envoi : la capture part de là où le siège a les lignes de ce magasin, et le siège "
        "ne peut pas le dire maintenant ({error}) ; nouvel essai dans {wait} s (`centrale snapshot` la démarre "
        "sans le siège)",
    },
    "err.capture.binlog_replaced": {
        "en": "the store's binlog holds other transactions than capture read at {position} (the event capture "
        "recorded there, {mark}, is gone): the store's database was put back from a backup, or its binlog reset",
        "fr": "le binlog du magasin contient d'autres transactions que celles lues par la capture à {position} "
        "(l'événement noté là, {mark}, n'y est plus) : la base du magasin a été restaurée, ou son binlog "
        "remis à zéro",
    },
    "err.capture.binlog_replaced.hint": {
        "en": "run `centrale snapshot`: capture starts again from the store's database as it is, and head "
        "office's rows that differ are saved beside the outbox before the store's replace them",
        "fr": "lancer `centrale snapshot` : la capture repart de la base du magasin telle qu'elle est, et les "
        "lignes du siège qui diffèrent sont gardées à côté de la boîte d'envoi avant d'être remplacées",
    },
    "err.ship.hq_behind": {
        "en": "head office holds store {store}'s rows up to seq {last} only, and this batch (from seq {first}) "
        "follows seq {follows}: head office went back (put back from a backup) while rows were on their way",
        "fr": "le siège n'a les lignes du magasin {store} que jusqu'au n° {last}, et ce lot (à partir du n° "
        "{first}) suit le n° {follows} : le siège est revenu en arrière (restauré) pendant l'envoi",
    },
    "err.ship.hq_behind.hint": {
        "en": "nothing to do: the rows head office lacks are sent again at the next tick",
        "fr": "rien à faire : les lignes qui manquent au siège sont renvoyées au prochain cycle",
    },
    "err.ship.restore_pending": {
        "en": "this outbox is an earlier copy and head office's rows of this store were not compared with the "
        "store's yet: {error}",
        "fr": "cette boîte d'envoi est une copie plus ancienne et les lignes du siège pour ce magasin ne sont pas "
        "encore comparées à celles du magasin : {error}",
    },
    "err.ship.restore_pending.hint": {
        "en": "nothing ships until the comparison is made: `centrale run` makes it as soon as the store's "
        "database and head office answer",
        "fr": "rien ne part avant la comparaison : `centrale run` la fait dès que la base du magasin et le siège "
        "répondent",
    },
}
