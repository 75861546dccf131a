"""The words of the letters about actions (rectify, erase, restrict, ...), per language.

Kept apart from the views so a translator finds every phrase in one place, and apart
from the notification activity so the labels can be read and tested without a database.
"""

from __future__ import annotations

from dsar.domain import CorrectableField
from dsar.messages.actions import Action, ActionStatus

# Letters list the actions in this order, whatever order the systems finished in.
ACTION_ORDER = (
    Action.RECTIFY,
    Action.ERASE,
    Action.RESTRICT,
    Action.LIFT_RESTRICTION,
    Action.WITHDRAW_CONSENT,
    Action.SUPPRESS_MARKETING,
)

ACTION_LABELS: dict[Action, dict[str, str]] = {
    Action.RECTIFY: {"sv": "Rättelse", "en": "Rectification"},
    Action.ERASE: {"sv": "Radering", "en": "Erasure"},
    Action.RESTRICT: {"sv": "Begränsning av behandlingen", "en": "Restriction of processing"},
    Action.LIFT_RESTRICTION: {"sv": "Hävd begränsning", "en": "Restriction lifted"},
    Action.WITHDRAW_CONSENT: {"sv": "Återkallat samtycke", "en": "Consent withdrawn"},
    Action.SUPPRESS_MARKETING: {"sv": "Stopp för direktmarknadsföring", "en": "No more direct marketing"},
}

# (one, many) per language: what `changed` counts for each action.
CHANGED_TEXTS: dict[Action, dict[str, tuple[str, str]]] = {
    Action.RECTIFY: {
        "sv": ("{n} post rättad", "{n} poster rättade"),
        "en": ("{n} record corrected", "{n} records corrected"),
    },
    Action.ERASE: {
        "sv": ("{n} post raderad", "{n} poster raderade"),
        "en": ("{n} record erased", "{n} records erased"),
    },
    Action.RESTRICT: {
        "sv": ("{n} post markerad som begränsad", "{n} poster markerade som begränsade"),
        "en": ("{n} record marked as restricted", "{n} records marked as restricted"),
    },
    Action.LIFT_RESTRICTION: {
        "sv": ("begränsningen hävd för {n} post", "begränsningen hävd för {n} poster"),
        "en": ("restriction lifted on {n} record", "restriction lifted on {n} records"),
    },
    Action.WITHDRAW_CONSENT: {
        "sv": ("samtycket avstängt i {n} post", "samtycket avstängt i {n} poster"),
        "en": ("consent switched off in {n} record", "consent switched off in {n} records"),
    },
    Action.SUPPRESS_MARKETING: {
        "sv": ("{n} post spärrad för marknadsföring", "{n} poster spärrade för marknadsföring"),
        "en": ("{n} record blocked from marketing", "{n} records blocked from marketing"),
    },
}

STATUS_LABELS: dict[ActionStatus, dict[str, str]] = {
    ActionStatus.DONE: {"sv": "klart", "en": "done"},
    ActionStatus.FAILED: {"sv": "kunde inte genomföras", "en": "could not be completed"},
    ActionStatus.NOT_APPLICABLE: {"sv": "inte tillämpligt", "en": "not applicable"},
    ActionStatus.PENDING: {"sv": "pågår", "en": "in progress"},
    ActionStatus.AWAITING_OWNER: {"sv": "pågår, görs för hand", "en": "in progress, done by hand"},
}

FIELD_LABELS: dict[CorrectableField, dict[str, str]] = {
    CorrectableField.FULL_NAME: {"sv": "namn", "en": "name"},
    CorrectableField.EMAIL: {"sv": "e-postadress", "en": "e-mail address"},
    CorrectableField.PHONE: {"sv": "telefonnummer", "en": "phone number"},
    CorrectableField.STREET: {"sv": "gatuadress", "en": "street address"},
    CorrectableField.POSTCODE: {"sv": "postnummer", "en": "postcode"},
    CorrectableField.CITY: {"sv": "ort", "en": "town or city"},
    CorrectableField.COMPANY_NAME: {"sv": "företagsnamn", "en": "company name"},
    CorrectableField.JOB_TITLE: {"sv": "titel", "en": "job title"},
}

# To a manual system's owner (English, inside the group): the verb for the subject line and
# what to do by hand.
MANUAL_VERBS: dict[Action, str] = {
    Action.RECTIFY: "correct the data of one person in",
    Action.ERASE: "erase one person's data from",
    Action.RESTRICT: "flag one person's data as restricted in",
    Action.LIFT_RESTRICTION: "lift the restriction on one person's data in",
    Action.WITHDRAW_CONSENT: "switch off one person's consents in",
    Action.SUPPRESS_MARKETING: "stop marketing to one person from",
}
MANUAL_INSTRUCTIONS: dict[Action, str] = {
    Action.RECTIFY: (
        "Correct every record about this person in the system: replace the old values of the "
        "fields listed below with the new ones. Change nothing else."
    ),
    Action.ERASE: (
        "Erase every record about this person in the system (for paper records, shred the pages). "
        "Keep only what a legal duty requires you to keep (for example accounting records), and "
        "tell the privacy team what you kept, how many records, and which law requires it."
    ),
    Action.RESTRICT: (
        "Flag every record about this person as restricted. Keep the data stored, but do not use "
        "it in any other way (no mailings, exports, analysis or sharing) until the privacy team "
        "tells you the restriction has been lifted."
    ),
    Action.LIFT_RESTRICTION: (
        "Remove the restriction flag from this person's records; the data may be used again as "
        "before. The person has been told in advance."
    ),
    Action.WITHDRAW_CONSENT: (
        "The person has withdrawn their consent. Switch off every consent they have given in the "
        "system (for example marketing opt-ins or location tracking), from now on."
    ),
    Action.SUPPRESS_MARKETING: (
        "The person objects to direct marketing. Mark them in the system so they receive no more "
        "marketing of any kind, by any channel."
    ),
}

# To a recipient (Art. 19): what the controller did, and what it asks of the recipient.
RECIPIENT_DONE: dict[Action, str] = {
    Action.RECTIFY: "rectified (corrected)",
    Action.ERASE: "erased",
    Action.RESTRICT: "restricted the processing of",
    Action.LIFT_RESTRICTION: "lifted the restriction of processing of",
}
RECIPIENT_ASK: dict[Action, str] = {
    Action.RECTIFY: "Please correct the personal data you hold about this person in the same way.",
    Action.ERASE: (
        "Please erase the personal data about this person that we disclosed to you, unless a law "
        "requires you to keep it."
    ),
    Action.RESTRICT: (
        "Please stop processing this person's personal data other than storing it, until we tell "
        "you that the restriction has been lifted."
    ),
    Action.LIFT_RESTRICTION: "The restriction we told you about no longer applies.",
}
