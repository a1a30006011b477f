"""CAP 1.2 flood bulletins for disaster officers and the water utility.

One situation is a flood risk in one district: it opens with an ``Alert`` when a mukim of
the district reaches yellow or above, continues with ``Update`` messages when the level or
the set of areas changes, and ends with a ``Cancel`` when all its areas are green again.

Modules, one idea each:

- :mod:`~disaster.bulletins.config`: sender identity and links, from the environment.
- :mod:`~disaster.bulletins.text`: safe text (characters XML 1.0 forbids removed).
- :mod:`~disaster.bulletins.wording`: level → CAP severity/urgency/certainty, words in English and Malay.
- :mod:`~disaster.bulletins.polygons`: area outlines as CAP polygons of at most 100 vertices.
- :mod:`~disaster.bulletins.situations`: which messages an hour calls for (the lifecycle).
- :mod:`~disaster.bulletins.cap`: the CAP XML of one message.
- :mod:`~disaster.bulletins.atom`: the Atom feed indexing the messages.
- :mod:`~disaster.bulletins.html`: the officer's and the utility's HTML bulletins with an offline map.
- :mod:`~disaster.bulletins.issue`: one hour end to end, stored in ``hazard.bulletins``.
"""
