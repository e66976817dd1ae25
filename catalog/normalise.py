"""A request's text made ready for naming and splitting: accents folded, Latin brands spaced out
of Chinese, Japanese and Korean text, and the service an address or a subreddit names written
after it."""

import re
import unicodedata

__all__ = ["fold_accents", "has_cjk", "normalise_request"]

# Chinese, Japanese and Korean scripts, which write no space between words: a brand in Latin
# letters inside such text ("Notionのデータベース") is one word only once spaced apart.
_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef"
_SCRIPT_BOUNDARY = re.compile(rf"(?<=[A-Za-z0-9])(?=[{_CJK}])|(?<=[{_CJK}])(?=[A-Za-z0-9])")


# Services' names as Korean, Japanese and Chinese write them, which no catalog entry spells:
# the Latin name is written after them ("노션에" → "노션 (Notion) 에"). Common spellings of
# widely used services only; the words attach to particles, so they match inside a word.
_LOCAL_NAMES = {
    "노션": "Notion",
    "ノーション": "Notion",
    "슬랙": "Slack",
    "スラック": "Slack",
    "깃허브": "GitHub",
    "ギットハブ": "GitHub",
    "지메일": "Gmail",
    "유튜브": "YouTube",
    "ユーチューブ": "YouTube",
    "油管": "YouTube",
    "위키백과": "Wikipedia",
    "위키피디아": "Wikipedia",
    "ウィキペディア": "Wikipedia",
    "维基百科": "Wikipedia",
    "維基百科": "Wikipedia",
    "디스코드": "Discord",
    "ディスコード": "Discord",
    "지라": "Jira",
    "피그마": "Figma",
    "스포티파이": "Spotify",
    "スポティファイ": "Spotify",
    "텔레그램": "Telegram",
    "テレグラム": "Telegram",
    "트위터": "Twitter",
    "ツイッター": "Twitter",
    "推特": "Twitter",
    "레딧": "Reddit",
    "트렐로": "Trello",
    "에어비앤비": "Airbnb",
    "엑셀": "Excel",
    "エクセル": "Excel",
    "쿠버네티스": "Kubernetes",
    "도커": "Docker",
    "ドッカー": "Docker",
    "테라폼": "Terraform",
    "드롭박스": "Dropbox",
    "ドロップボックス": "Dropbox",
    "구글": "Google",
    "グーグル": "Google",
    "谷歌": "Google",
    "캘린더": "Calendar",
    "カレンダー": "Calendar",
}
_LOCAL_NAME = re.compile("|".join(sorted(_LOCAL_NAMES, key=len, reverse=True)))


def normalise_request(text: str) -> str:
    """``text`` with accents folded ("Wikipédia" → "Wikipedia": names and the English embedder
    know the plain form), a space between Latin and CJK runs ("Notionの" → "Notion の"), the
    Latin name after a service's name in Korean, Japanese or Chinese script ("노션 (Notion)"),
    and the service an address or a subreddit names written after it ("r/rust (Reddit)")."""
    text = _LOCAL_NAME.sub(lambda m: f"{m.group()} ({_LOCAL_NAMES[m.group()]}) ", text)
    folded = fold_accents(text)
    with_sites = _URL.sub(_with_site_name, _SCRIPT_BOUNDARY.sub(" ", folded))
    return _SUBREDDIT.sub(lambda m: f"{m.group()} (Reddit)", with_sites)


# An address names its site's service: "https://www.youtube.com/watch?v=…" is YouTube, and
# "https://docs.example.org/…" is Example, not "Docs" (the name is the label before the suffix).
_URL = re.compile(r"https?://([a-z0-9.-]+)[^\s]*", re.IGNORECASE)
_SECOND_LEVEL = frozenset("co com org net gov ac edu".split())  # "example.co.uk"
# The short addresses services give their links, by the service's own name.
_SHORT_LINKS = {
    "youtu.be": "YouTube",
    "redd.it": "Reddit",
    "spoti.fi": "Spotify",
    "git.io": "GitHub",
}
# A subreddit ("r/selfhosted") is Reddit's address written short.
_SUBREDDIT = re.compile(r"(?<![\w/])(?:r/[A-Za-z0-9_]{2,}|subreddits?)\b", re.IGNORECASE)


# A company's own pages about itself ("https://linear.app/pricing") are web pages to read or
# scrape, not a use of its product: they name no service.
_SITE_PAGES = re.compile(
    r"https?://[^/\s]+/(?:[a-z]{2}(?:-[a-z]{2})?/)?(?:pricing|plans|about|careers|jobs|blog"
    r"|customers|features|press|company|team|contact|changelog)\b",
    re.IGNORECASE,
)


def _with_site_name(match: re.Match[str]) -> str:
    if _SITE_PAGES.match(match.group()):
        return match.group()
    host = match.group(1).lower().strip(".").removeprefix("www.")
    if host in _SHORT_LINKS:
        return f"{match.group()} ({_SHORT_LINKS[host]})"
    labels = host.split(".")[:-1]  # without the top-level suffix
    if len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    if not labels:
        return match.group()
    return f"{match.group()} ({labels[-1].capitalize()})"


def fold_accents(text: str) -> str:
    """``text`` with the accents of its Latin letters dropped ("für" → "fur"); the marks of
    Japanese kana ("で") are part of the letter and stay."""
    return "".join(_fold(c) if "\u00c0" <= c <= "\u024f" else c for c in text)


def _fold(letter: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", letter) if not unicodedata.combining(c))


def has_cjk(text: str) -> bool:
    """Whether ``text`` is written (partly) in Chinese, Japanese or Korean: its Latin words are
    then names, not English words at a sentence start."""
    return re.search(f"[{_CJK}]", text) is not None
