"""Risk level → CAP severity, urgency, certainty and response, and the words in English and Malay.

==========  ==========  ==========  ===========  ===========  ============================
level       severity    urgency     certainty    response     meaning for the public
==========  ==========  ==========  ===========  ===========  ============================
yellow      Moderate    Expected    Possible     Monitor      be aware, flooding possible
orange      Severe      Expected    Likely       Prepare      be prepared, flooding likely
red         Extreme     Immediate   Likely       Prepare      take action now
green       Minor       Past        Observed     AllClear     only in a Cancel: risk over
==========  ==========  ==========  ===========  ===========  ============================

Certainty is never "Observed" for a warning: the levels come from observed rain, but the
flood they warn of is a forecast. Green never opens or updates a situation.
"""
from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = ("en", "ms")
WARNING_LEVELS = ("yellow", "orange", "red")


@dataclass(frozen=True)
class CapCodes:
    severity: str
    urgency: str
    certainty: str
    response: str


CAP_CODES = {
    "yellow": CapCodes("Moderate", "Expected", "Possible", "Monitor"),
    "orange": CapCodes("Severe", "Expected", "Likely", "Prepare"),
    "red": CapCodes("Extreme", "Immediate", "Likely", "Prepare"),
    "green": CapCodes("Minor", "Past", "Observed", "AllClear"),
}

LEVEL_NAMES = {
    "en": {"green": "Green", "yellow": "Yellow", "orange": "Orange", "red": "Red"},
    "ms": {"green": "Hijau", "yellow": "Kuning", "orange": "Jingga", "red": "Merah"},
}

EVENT = {"en": "Flood", "ms": "Banjir"}

HEADLINE = {
    "en": "{level} flood warning: {region}",
    "ms": "Amaran Banjir {level}: {region}",
}
CANCEL_HEADLINE = {
    "en": "Flood warning cancelled: {region}",
    "ms": "Amaran Banjir dibatalkan: {region}",
}

LEAD = {
    "en": {"yellow": "Heavy or persistent rain may cause flash floods in low-lying areas.",
           "orange": "Heavy rain is likely to cause flooding in low-lying areas and along rivers.",
           "red": "Very heavy rain: flooding is likely now, and deep fast water is possible."},
    "ms": {"yellow": "Hujan lebat atau berterusan boleh menyebabkan banjir kilat di kawasan rendah.",
           "orange": "Hujan lebat dijangka menyebabkan banjir di kawasan rendah dan di tepi sungai.",
           "red": "Hujan sangat lebat: banjir dijangka berlaku sekarang, dan air yang dalam serta deras mungkin berlaku."},
}

INSTRUCTION = {
    "en": {"yellow": "Stay alert to rising water in drains and rivers. Avoid low-lying roads and follow official updates.",
           "orange": "Prepare for flooding: move valuables and vehicles to higher ground, keep away from drains and "
                     "rivers, and be ready to leave if told to.",
           "red": "Do not walk or drive through flood water. Move to higher ground if water rises and follow the "
                  "instructions of the authorities. Emergency: 991 ambulance, 993 police, 995 fire and rescue.",
           "green": "The flood risk has ended. Take care: roads may still be damaged or covered with debris."},
    "ms": {"yellow": "Berwaspada terhadap paras air yang naik di longkang dan sungai. Elakkan jalan di kawasan rendah "
                     "dan ikuti makluman rasmi.",
           "orange": "Bersedia menghadapi banjir: pindahkan barang berharga dan kenderaan ke tempat tinggi, jauhi "
                     "longkang dan sungai, dan bersedia untuk berpindah jika diarahkan.",
           "red": "Jangan meredah air banjir sama ada berjalan kaki atau memandu. Pindah ke tempat tinggi jika air naik "
                  "dan ikuti arahan pihak berkuasa. Kecemasan: 991 ambulans, 993 polis, 995 bomba dan penyelamat.",
           "green": "Risiko banjir telah berakhir. Berhati-hati: jalan mungkin masih rosak atau dipenuhi sampah sarap."},
}

CANCEL_DESCRIPTION = {
    "en": "Rain has eased and every area of this warning has been back at green for the hold-down period.",
    "ms": "Hujan telah reda dan semua kawasan dalam amaran ini telah kembali ke tahap hijau.",
}
NO_LONGER = {"en": "No longer at risk: {areas}.", "ms": "Tidak lagi berisiko: {areas}."}
APPROXIMATE = {"en": "Area outlines are approximate (built from public centroids, not official boundaries).",
               "ms": "Sempadan kawasan adalah anggaran (dibina daripada titik tengah awam, bukan sempadan rasmi)."}


RAIN_SPANS = {"en": {1: "in the last hour", 3: "in 3 h", 24: "in 24 h"},
              "ms": {1: "dalam sejam terakhir", 3: "dalam 3 jam", 24: "dalam 24 jam"}}
HEAVY_RAIN = {"en": "Heavy rain", "ms": "Hujan lebat"}
NO_RAIN = {"en": "No significant rain", "ms": "Tiada hujan ketara"}


def rain_words(lang: str, rain_1h: float | None, rain_3h: float | None, rain_24h: float | None) -> str:
    """The observed rain of an area in a short phrase, e.g. "Hujan lebat: 110 mm dalam 3 jam".

    Parameters
    ----------
    lang : {"en", "ms"}
    rain_1h, rain_3h, rain_24h : float or None
        Areal rainfall accumulations in mm; amounts under 1 mm are left out.

    Returns
    -------
    str
    """
    parts = [f"{mm:.0f} mm {RAIN_SPANS[lang][hours]}"
             for mm, hours in ((rain_1h, 1), (rain_3h, 3), (rain_24h, 24)) if mm is not None and mm >= 1]
    return f"{HEAVY_RAIN[lang]}: {', '.join(parts)}" if parts else NO_RAIN[lang]
