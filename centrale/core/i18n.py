"""French and English: the one catalog of translated messages (the CLI's and the console's).

The seed's users are French stores; the integrator may not be. The language comes from the
locale (``LC_ALL`` > ``LC_MESSAGES`` > ``LANG``), which only the CLI's entry point reads and passes
down as a ``Lang``; the console may override it per page (``?lang=``, a cookie, or
``console.language``). A key missing in one language is a bug the tests catch, so ``Translator``
does not fall back silently: an unknown key raises ``KeyError``.

What the library says to a user (an error's message and hint, a check's result) is a ``Msg``: a
key of this catalog and its values, whose ``str()`` is the English text (logs stay English); the
CLI renders it in the invocation's language. The catalog is split by area (this module: the
CLI's frame and the console; ``i18n_errors``: the core's errors and hints, head office
administration's from ``i18n_hq_errors``; ``i18n_rooms``: those of capture, shipping and jobs;
``i18n_capture``: capture's refusals of events it cannot carry;
``i18n_checks``: checks and the commands' output), merged here into the one ``MESSAGES``
(tests/console/test_i18n.py checks that no key is in two parts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from centrale.core.i18n_capture import CAPTURE_MESSAGES
from centrale.core.i18n_checks import CHECK_MESSAGES
from centrale.core.i18n_clock import CLOCK_MESSAGES
from centrale.core.i18n_errors import ERROR_MESSAGES
from centrale.core.i18n_restores import RESTORE_MESSAGES
from centrale.core.i18n_rooms import ROOM_MESSAGES

Lang = Literal["en", "fr"]
LANGUAGES: tuple[Lang, ...] = ("en", "fr")
LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


def language_from_locale(locale: Mapping[str, str]) -> Lang:
    """POSIX order: the first non-empty of LC_ALL, LC_MESSAGES, LANG decides; ``fr_*`` is French."""
    for name in LOCALE_VARIABLES:
        value = locale.get(name, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def as_lang(value: str | None) -> Lang | None:
    """``value`` when it names a language we speak, else None (bad ``?lang=`` values are ignored)."""
    return "fr" if value == "fr" else "en" if value == "en" else None


class Translator:
    """``t("key", n=3)``: the message in one language, ``str.format``-ed (``Msg`` values in the
    same language)."""

    def __init__(self, lang: Lang) -> None:
        self.lang: Lang = lang

    def __call__(self, key: str, /, **values: object) -> str:
        return Msg(key, **values).render(self.lang)

    def has(self, key: str) -> bool:
        return key in MESSAGES

    def text(self, text: Text) -> str:
        """A ``Msg`` in this language; a plain string (a server's own words) as it is."""
        return render(text, self.lang)


@dataclass(frozen=True, slots=True, init=False)
class Msg:
    """A message for a user, not yet in a language: ``Msg("err.config.not_found", path=p)``.

    ``str()`` is the English text, so code that logs or stores it is unchanged; values that are
    themselves ``Msg`` are rendered in the same language."""

    key: str
    values: tuple[tuple[str, object], ...]

    def __init__(self, key: str, /, **values: object) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", tuple(values.items()))

    def render(self, lang: Lang) -> str:
        text = MESSAGES[self.key][lang]
        if not self.values:
            return text
        return text.format(**{k: render(v, lang) if isinstance(v, Msg) else v for k, v in self.values})

    def __str__(self) -> str:
        return self.render("en")


Text = str | Msg  # a plain str is a foreign text (a server's error) shown as it is


def render(text: Text, lang: Lang) -> str:
    return text.render(lang) if isinstance(text, Msg) else text


# key -> {"en": ..., "fr": ...}; placeholders must be the same in both (tests/console/test_i18n.py).
FRAME_MESSAGES: dict[str, dict[str, str]] = {
    # --- CLI: error lines, doctor, status ---------------------------------------------------
    "cli.error": {"en": "error: {message}", "fr": "erreur : {message}"},
    "cli.hint": {"en": "hint: {message}", "fr": "conseil : {message}"},
    "cli.warning": {"en": "warning: {message}", "fr": "attention : {message}"},
    "cli.unexpected": {"en": "error: unexpected {kind}: {message}", "fr": "erreur : {kind} inattendue : {message}"},
    "cli.unexpected_hint": {
        "en": "hint: the full traceback is in today's log file (CentraleSrv_yyyy_mm_dd.txt)",
        "fr": "conseil : la trace complète est dans le journal du jour (CentraleSrv_aaaa_mm_jj.txt)",
    },
    "doctor.ok": {"en": "ok  ", "fr": "ok  "},
    "doctor.warn": {"en": "WARN", "fr": "ATTN"},
    "doctor.fail": {"en": "FAIL", "fr": "ÉCHEC"},
    "doctor.fix": {"en": "     fix: {hint}", "fr": "     solution : {hint}"},
    "doctor.passed": {"en": "all checks passed", "fr": "toutes les vérifications sont passées"},
    "doctor.failed": {"en": "{n} check(s) failed", "fr": "{n} vérification(s) en échec"},
    "check.config": {"en": "config", "fr": "configuration"},
    "check.local database": {"en": "local database", "fr": "base locale"},
    "check.head office": {"en": "head office", "fr": "siège"},
    "check.head office account": {"en": "head office account", "fr": "compte au siège"},
    "check.head office link": {"en": "head office link", "fr": "liaison avec le siège"},
    "check.outbox": {"en": "outbox", "fr": "file d'envoi"},
    "check.checkpoint": {"en": "checkpoint", "fr": "point de reprise"},
    "check.binlog retention": {"en": "binlog retention", "fr": "rétention du binlog"},
    "check.binlog": {"en": "binlog", "fr": "binlog"},
    "check.server id": {"en": "server id", "fr": "identifiant serveur"},
    "check.privileges": {"en": "privileges", "fr": "droits"},
    "check.catalog": {"en": "catalog", "fr": "catalogue"},
    "status.version": {"en": "Centrale {version}", "fr": "Centrale {version}"},
    "status.store": {"en": "store      {store} {name}", "fr": "magasin    {store} {name}"},
    "status.is_hq": {"en": "head office yes", "fr": "siège      oui"},
    "status.not_hq": {
        "en": "head office no (head office is store {hq_store})",
        "fr": "siège      non (le siège est le magasin {hq_store})",
    },
    "status.stores": {
        "en": "stores     {n} shipping to this head office",
        "fr": "magasins   {n} envoient à ce siège",
    },
    "status.store_line": {
        "en": "  {store:>5} {name:<16} last batch {last}, {rows} rows in {batches} batches (version {version})",
        "fr": "  {store:>5} {name:<16} dernier lot {last}, {rows} lignes en {batches} lots (version {version})",
    },
    "status.never": {"en": "never", "fr": "jamais"},
    "status.running": {"en": "process    running (pid {pid})", "fr": "processus  en marche (pid {pid})"},
    "status.not_running": {"en": "process    not running", "fr": "processus  arrêté"},
    "status.backlog": {
        "en": "backlog    {rows} rows (oldest {age}s)",
        "fr": "en attente {rows} lignes (la plus ancienne {age} s)",
    },
    "status.shipped": {
        "en": "shipped    up to seq {seq} at {when} ({rows} rows in all)",
        "fr": "envoyé     jusqu'au n° {seq} le {when} ({rows} lignes en tout)",
    },
    "status.capture": {
        "en": "capture    checkpoint {checkpoint}, binlog end {end}, lag {lag}s",
        "fr": "capture    point de reprise {checkpoint}, fin du binlog {end}, retard {lag} s",
    },
    "status.capture_stopped": {
        "en": "capture    STOPPED: {error}",
        "fr": "capture    ARRÊTÉE : {error}",
    },
    "status.xa_prepared": {
        "en": "XA         {n} prepared transaction(s) waiting for their commit ({rows} rows kept aside)",
        "fr": "XA         {n} transaction(s) préparée(s) en attente de leur validation ({rows} lignes de côté)",
    },
    "status.retention": {
        "en": "retention  {hours:.1f} h before the checkpoint's binlog may expire (kept {days:g} days)",
        "fr": "rétention  {hours:.1f} h avant que le binlog du point de reprise puisse expirer (gardé {days:g} jours)",
    },
    "status.skipped": {
        "en": "skipped    {n} rows dropped by an operator",
        "fr": "écartées   {n} lignes retirées par un opérateur",
    },
    "status.outbox": {"en": "outbox     {error}", "fr": "file       {error}"},
    "status.last_error": {"en": "last error {error}", "fr": "erreur     {error}"},
    "status.none": {"en": "none", "fr": "aucune"},
    "status.local_db": {"en": "local db   {error}", "fr": "base locale {error}"},
    "console.listening": {
        "en": "console on http://{where}/ (Ctrl-C stops)",
        "fr": "console sur http://{where}/ (Ctrl-C pour arrêter)",
    },
    # --- console: common --------------------------------------------------------------------
    "nav.logout": {"en": "log out", "fr": "se déconnecter"},
    "page.fix": {"en": "Fix:", "fr": "Solution :"},
    "page.save": {"en": "Save", "fr": "Enregistrer"},
    "login.title": {"en": "Console password", "fr": "Mot de passe de la console"},
    "login.password": {"en": "Password", "fr": "Mot de passe"},
    "login.submit": {"en": "Log in", "fr": "Se connecter"},
    "login.failed": {"en": "Wrong password.", "fr": "Mot de passe incorrect."},
    "id.version": {"en": "Version", "fr": "Version"},
    "id.store": {"en": "Store", "fr": "Magasin"},
    "id.head_office": {"en": "Head office", "fr": "Siège"},
    "id.yes": {"en": "yes", "fr": "oui"},
    "id.no_hq": {"en": "no (head office is store {hq_store})", "fr": "non (le siège est le magasin {hq_store})"},
    "color.green": {"en": "OK", "fr": "OK"},
    "color.amber": {"en": "attention", "fr": "attention"},
    "color.red": {"en": "problem", "fr": "problème"},
    "fig.backlog": {"en": "Backlog (rows)", "fr": "En attente (lignes)"},
    "fig.backlog_age": {"en": "Oldest waiting", "fr": "Plus ancienne en attente"},
    "fig.last_shipped": {"en": "Last batch shipped", "fr": "Dernier lot envoyé"},
    "fig.shipped_value": {"en": "seq {seq} at {when}", "fr": "n° {seq} le {when}"},
    "fig.rows_shipped": {"en": "Rows shipped in all", "fr": "Lignes envoyées en tout"},
    "fig.capture_lag": {"en": "Capture lag", "fr": "Retard de capture"},
    "fig.checkpoint": {"en": "Capture checkpoint", "fr": "Point de reprise"},
    "fig.never": {"en": "never", "fr": "jamais"},
    "jobs.created": {"en": "Asked", "fr": "Demandé"},
    "jobs.started": {"en": "Started", "fr": "Commencé"},
    "jobs.finished": {"en": "Finished", "fr": "Terminé"},
    "job.pending": {"en": "pending", "fr": "en attente"},
    "job.running": {"en": "running", "fr": "en cours"},
    "job.done": {"en": "done", "fr": "fait"},
    "job.failed": {"en": "failed", "fr": "échec"},
    "job.superseded": {"en": "superseded", "fr": "remplacé"},
    "job.expired": {"en": "expired", "fr": "expiré"},
    "action.pull-articles": {"en": "Get articles from head office", "fr": "Récupérer les articles du siège"},
    "action.pull-keyboards": {"en": "Get keyboards from head office", "fr": "Récupérer les claviers du siège"},
    "action.pull-stores": {"en": "Get stores from head office", "fr": "Récupérer les magasins du siège"},
    "action.pull-products": {
        "en": "Get products and technical sheets",
        "fr": "Récupérer les produits et fiches techniques",
    },
    "action.pull-customers": {"en": "Receive customers", "fr": "Recevoir les clients"},
    "action.push-customers": {"en": "Send customers", "fr": "Envoyer les clients"},
    "action.sync-customers": {"en": "Send and receive customers", "fr": "Envoi et réception des clients"},
    "action.push-stock": {
        "en": "Send stock movements and transfer vouchers",
        "fr": "Envoyer les mouvements de stock et bons de transfert",
    },
    "action.push-staff": {
        "en": "Send salespeople and time-clock punches",
        "fr": "Envoyer les vendeurs et les pointages",
    },
    "action.push-sales": {"en": "Send sales again", "fr": "Renvoyer les ventes"},
    "action.reconcile": {"en": "Reconcile with head office", "fr": "Rapprocher avec le siège"},
    # --- console: store page ----------------------------------------------------------------
    "store.title": {"en": "Store", "fr": "Magasin"},
    "store.state": {"en": "State", "fr": "État"},
    "store.actions": {"en": "Actions", "fr": "Actions"},
    "store.hq_jobs": {"en": "Jobs asked by head office", "fr": "Travaux demandés par le siège"},
    "store.options": {"en": "Options", "fr": "Options"},
    "store.hq": {"en": "Head-office connection", "fr": "Connexion au siège"},
    "store.log": {"en": "Today's log", "fr": "Journal du jour"},
    "part.capture": {"en": "Capture", "fr": "Capture"},
    "part.shipping": {"en": "Shipping", "fr": "Envoi"},
    "part.jobs": {"en": "Jobs", "fr": "Travaux"},
    "light.outbox_error": {"en": "outbox: {error}", "fr": "file d'envoi : {error}"},
    "light.local_error": {"en": "local database: {error}", "fr": "base locale : {error}"},
    "light.capture_stopped": {"en": "capture stopped: {error}", "fr": "capture arrêtée : {error}"},
    "light.not_running": {
        "en": "`centrale run` is not running: nothing is captured",
        "fr": "`centrale run` n'est pas lancé : rien n'est capturé",
    },
    "light.file_behind": {
        "en": "at least one binlog file behind",
        "fr": "au moins un fichier binlog de retard",
    },
    "light.lagging": {"en": "capture is {lag} s behind", "fr": "la capture a {lag} s de retard"},
    "light.capturing": {"en": "capturing, {lag} s behind", "fr": "capture en cours, {lag} s de retard"},
    "light.ship_error": {"en": "held: {error}", "fr": "bloqué : {error}"},
    "light.backlog_old": {
        "en": "{rows} rows waiting, the oldest for {age} s",
        "fr": "{rows} lignes en attente, la plus ancienne depuis {age} s",
    },
    "light.nothing_shipped": {"en": "nothing shipped yet", "fr": "rien d'envoyé pour l'instant"},
    "light.shipped": {"en": "last batch at {when}", "fr": "dernier lot le {when}"},
    "light.jobs_error": {"en": "{error}", "fr": "{error}"},
    "light.hq_unreachable": {
        "en": "head office unreachable: {error} (fix: {hint})",
        "fr": "siège injoignable : {error} (solution : {hint})",
    },
    "light.job_running": {"en": "job {id} ({action}) running", "fr": "travail {id} ({action}) en cours"},
    "light.job_failed": {
        "en": "job {id} ({action}) did not succeed: {message}",
        "fr": "le travail {id} ({action}) a échoué : {message}",
    },
    "light.jobs_waiting": {"en": "{n} job(s) waiting", "fr": "{n} travail(aux) en attente"},
    "tasks.none": {"en": "No action started from this page yet.", "fr": "Aucune action lancée depuis cette page."},
    "tasks.action": {"en": "Action", "fr": "Action"},
    "tasks.status": {"en": "Status", "fr": "État"},
    "tasks.elapsed": {"en": "Time", "fr": "Durée"},
    "tasks.rows": {"en": "Rows", "fr": "Lignes"},
    "tasks.result": {"en": "Result", "fr": "Résultat"},
    "task.queued": {"en": "queued", "fr": "en file"},
    "task.running": {"en": "running", "fr": "en cours"},
    "task.done": {"en": "done", "fr": "fait"},
    "task.failed": {"en": "failed", "fr": "échec"},
    "opt.receive_prices": {
        "en": "Receive head office's prices (off: keep this store's prices on existing articles)",
        "fr": "Recevoir les prix du siège (non : garder les prix du magasin sur les articles existants)",
    },
    "opt.receive_printers": {
        "en": "Receive printer definitions (off: keep this store's printers)",
        "fr": "Recevoir les définitions d'imprimantes (non : garder celles du magasin)",
    },
    "opt.note": {
        "en": "New articles always arrive with head office's values. Saved in the configuration file.",
        "fr": "Les nouveaux articles arrivent toujours avec les valeurs du siège. "
        "Enregistré dans le fichier de configuration.",
    },
    "hq.host": {"en": "Host (public address)", "fr": "Hôte (adresse publique)"},
    "hq.port": {"en": "Port", "fr": "Port"},
    "hq.database": {"en": "Database", "fr": "Base de données"},
    "hq.user": {"en": "User", "fr": "Utilisateur"},
    "hq.password": {"en": "Password", "fr": "Mot de passe"},
    "hq.password_unchanged": {"en": "(unchanged)", "fr": "(inchangé)"},
    "hq.test": {"en": "Test connection", "fr": "Tester la connexion"},
    "hq.note": {
        "en": "Saved in the configuration file; `centrale run` ships to the new address after a restart.",
        "fr": "Enregistré dans le fichier de configuration ; "
        "`centrale run` utilise la nouvelle adresse après un redémarrage.",
    },
    "hq.invalid": {"en": "`{key}`: {error}", "fr": "`{key}` : {error}"},
    "hq.test_ok": {
        "en": "Connected to {where}: head office number {number}.",
        "fr": "Connecté à {where} : siège numéro {number}.",
    },
    "hq.test_failed": {
        "en": "Cannot connect to {where}: {error}. Fix: {hint}",
        "fr": "Connexion impossible à {where} : {error}. Solution : {hint}",
    },
    "hq.test_not_hq": {
        "en": "{where} answers but is not a head office (run `centrale hq init` there).",
        "fr": "{where} répond mais n'est pas un siège (lancer `centrale hq init` au siège).",
    },
    "hq.test_other_hq": {
        "en": "{where} is the head office of number {number}; this store expects {want}.",
        "fr": "{where} est le siège numéro {number} ; ce magasin attend {want}.",
    },
    "flash.options_saved": {"en": "Options saved.", "fr": "Options enregistrées."},
    "flash.hq_saved": {"en": "Head-office connection saved.", "fr": "Connexion au siège enregistrée."},
    "flash.action_queued": {"en": "Action started.", "fr": "Action lancée."},
    "flash.jobs_posted": {"en": "{n} job(s) posted.", "fr": "{n} travail(aux) demandé(s)."},
    # --- console: head-office page ----------------------------------------------------------
    "hq.title": {"en": "Head office", "fr": "Siège"},
    "hq.stores": {"en": "Stores", "fr": "Magasins"},
    "hq.store": {"en": "Store", "fr": "Magasin"},
    "hq.last_contact": {"en": "Last contact", "fr": "Dernier contact"},
    "hq.rows_received": {"en": "Rows received", "fr": "Lignes reçues"},
    "hq.last_error": {"en": "Last error", "fr": "Dernière erreur"},
    "hq.stale": {
        "en": "no news for {minutes} min (limit {limit} min)",
        "fr": "sans nouvelles depuis {minutes} min (limite {limit} min)",
    },
    "hq.sales_today": {"en": "Sales of {day}", "fr": "Ventes du {day}"},
    "hq.rows": {"en": "rows", "fr": "lignes"},
    "hq.no_sales_tables": {
        "en": "No sales table has since_column and sum_column in the catalog.",
        "fr": "Aucune table de ventes n'a since_column et sum_column dans le catalogue.",
    },
    "hq.chart_title": {"en": "{table}.{column} per store per hour", "fr": "{table}.{column} par magasin et par heure"},
    "hq.post_job": {"en": "Ask stores to do a job", "fr": "Demander un travail aux magasins"},
    "hq.to_stores": {"en": "Stores", "fr": "Magasins"},
    "hq.all_stores": {"en": "all stores", "fr": "tous les magasins"},
    "hq.since": {"en": "Since (push, reconcile)", "fr": "Depuis (envois, rapprochement)"},
    "hq.post": {"en": "Post the job", "fr": "Envoyer la demande"},
    "hq.jobs": {"en": "Jobs", "fr": "Travaux"},
    "hq.any": {"en": "all", "fr": "tous"},
    "hq.filter": {"en": "Filter", "fr": "Filtrer"},
    "hq.no_jobs": {"en": "No job.", "fr": "Aucun travail."},
}

MESSAGES: dict[str, dict[str, str]] = {
    **FRAME_MESSAGES,
    **ERROR_MESSAGES,
    **ROOM_MESSAGES,
    **CAPTURE_MESSAGES,
    **CHECK_MESSAGES,
    **CLOCK_MESSAGES,
    **RESTORE_MESSAGES,
}
