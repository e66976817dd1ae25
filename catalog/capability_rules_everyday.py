"""The everyday and business rows of the capability table (catalog.capability_rules): music,
speech, podcasts, text in photographed or scanned pages, bookkeeping, investments, ad spend and a
security test of a running web application. Written, like the rest of the table, from generic
verbs and nouns, for requests that say what they want done without naming a product ("put on
something mellow on my speakers"); checked on the tuning splits only."""

import re

__all__ = ["EVERYDAY_RULES", "EVERYDAY_SUPERSEDED"]

_I = re.IGNORECASE
SPEECH = "text to speech audio"
VIDEO = "make a video from a script or idea with AI (stock footage, voiceover)"
# A video made from a script comes with its voiceover: no separate speech server for it.
EVERYDAY_SUPERSEDED = {VIDEO: frozenset({SPEECH})}

EVERYDAY_RULES: list[tuple[re.Pattern[str], str]] = [  # (pattern, the need searched for it)
    (
        re.compile(
            r"\bread\s+(?:\w+\s+){0,3}(?:aloud|out\s+loud)\b|\btext[\s-]to[\s-]speech\b"
            r"|\bvoice[\s-]?over\b|\b(?:narrate|narration)\b|\bspoken\s+audio\b",
            _I,
        ),
        SPEECH,
    ),
    (  # speech in the person's own recordings; a video's published transcript is the site's
        re.compile(
            r"\bspeech[\s-]to[\s-]text\b|\btranscri\w*\s+(?:\w+\s+){0,3}(?:audio|voice|calls?"
            r"|interviews?|meeting\s+recordings?|dictations?)\b"
            r"|\b(?:audio|voice\s+(?:notes?|memos?|messages?)|recordings?)\s+(?:\w+\s+){0,4}"
            r"(?:transcri\w*|(?:to|into)\s+text)\b",
            _I,
        ),
        "speech to text: transcribe my own audio files into text",
    ),
    (
        re.compile(
            r"\b(?:put\s+on|play|queue)\s+(?:\w+\s+){0,3}(?:music|songs?|tracks?|albums?|playlists?"
            r"|something\s+\w+)\b|\bon\s+my\s+speakers?\b|\bplaylists?\b"
            r"|\bput\s+something\s+\w+\s+on\b|\blo-?fi\b",
            _I,
        ),
        "play music, songs and playlists",
    ),
    (  # what was said on a podcast; making one is text to speech
        re.compile(
            r"\b(?:on|in|across)\s+(?:a\s+|any\s+|the\s+)?podcasts?\b"
            r"|\bpodcast\s+(?:episodes?|mentions?|transcripts?)\b",
            _I,
        ),
        "search transcribed podcasts for mentions of topics, people or brands",
    ),
    (
        re.compile(
            r"\bhand-?writ\w*|\b(?:photographed|scanned|photos?\s+of)\s+(?:\w+\s+){0,3}"
            r"(?:notes?|pages?|documents?|receipts?|forms?)\b|\bocr\b",
            _I,
        ),
        "recognise handwriting and text in scanned images (OCR)",
    ),
    (
        re.compile(
            r"\b(?:bookkeeping|accounting)\s+(?:software|system|tool|app)\b|\bthe\s+books\b"
            r"|\breconcil\w*\s+(?:\w+\s+){0,4}(?:bank|transactions?|bills?|payments?)\b"
            r"|\b(?:credit\s+notes?|accounts\s+(?:payable|receivable))\b",
            _I,
        ),
        "accounting: invoices, bills and bank reconciliation",
    ),
    (
        re.compile(
            r"\b(?:index|mutual)\s+funds?\b|\betfs?\b|\bfund\s+ratings?\b|\banalyst\s+ratings?\b"
            r"|\b(?:fair\s+value|moat)\s+(?:estimates?|ratings?)\b",
            _I,
        ),
        "investment research: funds, ratings and analyst views",
    ),
    (
        re.compile(
            r"\b(?:social|search|facebook|meta|google|paid)\s+ads\b|\bad\s+spend\b|\broas\b"
            r"|\b(?:marketing|ad)\s+attribution\b",
            _I,
        ),
        "store analytics: ad spend, revenue and attribution per campaign",
    ),
    (  # an attack on the person's own running application, not a scan of its source code
        re.compile(
            r"\bpen(?:etration)?[\s-]?test\w*|\b(?:attack|hack)\s+(?:\w+\s+){0,3}(?:web\s*)?"
            r"(?:apps?|applications?|sites?|apis?)\b|\bexploitable\b|\bdast\b",
            _I,
        ),
        "security test of a running web application and APIs (penetration test)",
    ),
    (
        re.compile(
            r"\b(?:lawn\s*)?mowers?\b|\bmow(?:ing)?\b|\blawns?\b(?!\s+(?:tennis|bowls|chairs?))", _I
        ),
        "robotic lawn mower: start, park and schedule mowing",
    ),
    (  # what was said on the person's own calls, not a call to make
        re.compile(
            r"\bwhat\s+(?:did|have)\s+(?:we|they|I)\s+(?:end\s+up\s+)?(?:agree|decide|discuss|promise)"
            r"\w*\b|\b(?:notes|transcripts?)\s+(?:of|from)\s+(?:my|our|the)\s+(?:\w+\s+)?"
            r"(?:calls?|meetings?)\b",
            _I,
        ),
        "meeting notes and transcripts of my calls",
    ),
    (  # a finished video made from a script or an idea, not a voice recording
        re.compile(
            r"\bstock\s+(?:footage|video\s+clips)\b|\b(?:script|pitch|idea|blog\s+post|article)\s+into"
            r"\s+(?:an?\s+)?(?:\w+\s+){0,3}videos?\b|\b(?:make|create|generate|produce)\s+(?:an?\s+)?"
            r"(?:\w+\s+){0,2}(?:promo|marketing|explainer|faceless)\s+videos?\b",
            _I,
        ),
        VIDEO,
    ),
    (
        re.compile(r"\bquiz\s+me\b|\bflash\s*cards?\b|\bspaced\s+repetition\b", _I),
        "flashcards: review the cards due and add new ones",
    ),
]
