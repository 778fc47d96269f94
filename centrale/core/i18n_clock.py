"""Messages about store clocks against head office's (``centrale.core.clock``)."""

from __future__ import annotations

CLOCK_MESSAGES: dict[str, dict[str, str]] = {
    "status.clock_skewed": {
        "en": "clock      this store's server clock is {offset:+.0f} s off head office's: set it right (NTP)",
        "fr": "horloge    l'horloge du serveur du magasin a {offset:+.0f} s d'écart avec le siège : la régler (NTP)",
    },
    "chk.clock.ok": {
        "en": "the store server's clock is {offset:+.1f} s from head office's",
        "fr": "l'horloge du serveur du magasin est à {offset:+.1f} s de celle du siège",
    },
    "chk.clock.skewed": {
        "en": "the store server's clock is {offset:+.0f} s off head office's (more than {limit:.0f} s): customers' "
        "changes are still decided on head office's clock, but every sale is dated by this wrong clock",
        "fr": "l'horloge du serveur du magasin a {offset:+.0f} s d'écart avec celle du siège (plus de {limit:.0f} s) : "
        "les modifications des clients sont toujours départagées à l'heure du siège, mais chaque vente est "
        "datée par cette horloge fausse",
    },
    "chk.clock.skewed.hint": {
        "en": "set the store server's clock right and keep it so (NTP: timedatectl set-ntp true, or the "
        "Windows Time service); shipping follows the new offset within a minute",
        "fr": "remettre l'horloge du serveur du magasin à l'heure et l'y garder (NTP : timedatectl set-ntp true, "
        "ou le service Temps Windows) ; l'envoi suit le nouvel écart en moins d'une minute",
    },
    "hq.clock_skewed": {
        "en": "clock {offset:+.0f} s off",
        "fr": "horloge décalée de {offset:+.0f} s",
    },
}
