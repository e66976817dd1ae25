"""The developer and operations rows of the capability table (catalog.capability_rules): code
run in a sandbox, a terminal here, cloud spend, application crashes, the person on call,
containers, code and dependency security, a local git repository, pull requests. Written, like
the rest of the table, from generic verbs and nouns and checked on the tuning splits only."""

import re

__all__ = ["DEV_RULES", "LOCAL_FIRST", "SUPERSEDED"]

CLOUD_SANDBOX = "run code safely in a cloud sandbox"
BROWSER = "automate a web browser"  # (catalog.capability_rules' browser row)
PAGE = "fetch a web page"  # (catalog.capability_rules.FETCH_PAGE)
PAGE_SPEED = "measure how fast a web page loads (performance trace)"
DEVTOOLS = "inspect a live browser page: its console errors and network requests"
PYTHON_SANDBOX = "run Python code in a sandbox"
CODE_SANDBOX = "run code in a sandbox"
# Code that must not run here, said anywhere in the request, makes its other sandbox clauses
# ("run Python it writes itself, isolated from my machine") that one cloud sandbox.
SUPERSEDED = {
    CLOUD_SANDBOX: frozenset({PYTHON_SANDBOX, CODE_SANDBOX}),
    # a browser opens the page itself; one that traces or inspects it is that browser
    BROWSER: frozenset({PAGE}),
    PAGE_SPEED: frozenset({PAGE, BROWSER}),
    DEVTOOLS: frozenset({PAGE, BROWSER}),
}
# Capabilities a server on this machine does with nothing from the person: among the servers
# that fit about alike, one needing no account wins over a cloud service that needs a key (a
# browser: Playwright on the host's Chromium before a hosted browser service).
LOCAL_FIRST = frozenset({BROWSER})

_I = re.IGNORECASE
_WHO_CHANGED = (
    r"\b(?:who|someone|somebody)\s+(?:\w+\s+)?(?:changed|touched|modified|edited|deleted"
    r"|removed|disabled|updated|turned\s+off)\b|\baudit\s+(?:logs?|trail)\b"
)
DEV_RULES: list[tuple[re.Pattern[str], str]] = [  # (pattern, the need searched for it)
    (  # code that must not run here: a cloud sandbox, whatever the language
        re.compile(
            r"\b(?:untrusted|isolated)\s+(?:\w+\s+){0,2}(?:code|snippets?|scripts?|sandbox)\b"
            r"|\bisolated\s+from\s+(?:my|this|the)\s+(?:machine|computer|laptop|host)\b",
            _I,
        ),
        CLOUD_SANDBOX,
    ),
    (
        re.compile(
            r"^(?!.*\b(?:untrusted|isolated)\b).*?(?:\b(?:run|runs|running|execute|executes"
            r"|executing)\s+(?:\w+\s+){0,2}python\b|\bpython\s+(?:code|scripts?|snippets?)\b)",
            _I | re.S,
        ),
        PYTHON_SANDBOX,
    ),
    (  # any other language ("python" is the rule above: one sandbox need, not two)
        re.compile(
            r"^(?!.*\b(?:python|untrusted|isolated)\b).*?(?:\b(?:run|runs|running|execute"
            r"|executes|executing)\s+"
            r"(?:\w+\s+){0,2}(?:code|scripts?|javascript|snippets?)\b"
            r"|\bcode\s+(?:interpreter|sandbox)\b)",
            _I | re.S,
        ),
        CODE_SANDBOX,
    ),
    (  # what the account spent, not the list prices of a service (AWS Pricing)
        re.compile(
            r"\b(?:aws|amazon\s+web\s+services|cloud)\s+(?:costs?|spend(?:ing)?|bills?|billing)\b"
            r"|\b(?:costs?|spend(?:ing)?|bills?)\s+(?:on|for|in|of)\s+(?:aws|the\s+cloud)\b",
            _I,
        ),
        "AWS Cost Explorer: analyse our AWS spending by service and time period",
    ),
    (  # how fast a page loads in a browser, not whether the site is up
        re.compile(
            r"\b(?:slow|sluggish)\s+(?:to\s+load|loading)\b|\b(?:page|site)\s+(?:speed|load\s+times?)\b"
            r"|\b(?:feels?|is|got)\s+(?:\w+\s+)?sluggish\b|\blighthouse\b|\bcore\s+web\s+vitals\b"
            r"|\b(?:slow|slower|slowest|fast|faster|fastest)\s+to\s+(?:load|render)\b"
            r"|\brender(?:ing)?\s+(?:times?|speed)\b|\bperformance\s+trace\b",
            _I,
        ),
        PAGE_SPEED,
    ),
    (  # what a page itself logs and requests, not an error tracker's issues
        re.compile(
            r"\b(?:js\s+|javascript\s+|browser\s+)?console\s+(?:errors?|logs?|messages?|warnings?)"
            r"\b|\bnetwork\s+(?:requests?|tab)\b|\bdev\s?tools\b",
            _I,
        ),
        DEVTOOLS,
    ),
    (  # Kubernetes' own nouns
        re.compile(
            r"\b(?:pods?|namespaces?|replicas|kubectl|helm\s+charts?|daemonsets?|statefulsets?)\b"
            r"|\bk8s\b",
            _I,
        ),
        "manage Kubernetes clusters: pods, deployments, namespaces",
    ),
    (  # how machines are doing, not whether a website answers (uptime probes)
        re.compile(
            r"\b(?:servers?|hosts?|machines?|nodes?|clusters?)\s+(?:are|is)\s+(?:\w+\s+)?doing\b"
            r"|\bcpu\s+(?:usage|load|metrics)\b|\bserver\s+(?:health|metrics|load)\b",
            _I,
        ),
        "monitor server metrics: CPU, memory",
    ),
    (
        re.compile(
            r"\b(?:terminal|shell)\s+commands?\b|\b(?:in|from)\s+(?:the|a|my)\s+(?:terminal|shell)\b"
            r"|\brun\s+(?:the\s+)?(?:unit\s+)?tests?(?:\s+suite)?\s+(?:locally|on\s+my\s+machine)\b",
            _I,
        ),
        "run terminal commands on this computer",
    ),
    (
        re.compile(  # an app's crashes, not "crash-looping pods"
            r"\bstack\s+traces?\b|\bcrash\s+reports?\b|\bunhandled\s+exceptions?\b"
            r"|\b(?:app|application)\s+crash(?:es)?\b",
            _I,
        ),
        "track application errors and crashes",
    ),
    (  # the person on call for a service, woken by a page
        re.compile(
            r"\bon[\s-]call\b|\bpage\s+(?:them|him|her|whoever|the\s+(?:\w+\s+)?(?:team|engineer|"
            r"responders?|owner))\b|\bwake\s+(?:\w+\s+)?up\b|\bescalat(?:e|ion)\s+polic",
            _I,
        ),
        "page the on-call engineer about an incident",
    ),
    (
        re.compile(
            r"\b(?:local|docker)\s+containers?\b"
            r"|\bcontainers?\s+(?:running\s+)?on\s+(?:this|my)\s+(?:machine|laptop|computer|host)\b",
            _I,
        ),
        "manage Docker containers",
    ),
    (  # code read for security flaws (static analysis), not its dependencies' advisories
        re.compile(
            r"\b(?:static|sast)\s+(?:\w+\s+)?analy[sz]\w*\b|\bsql\s+injection\b|\bhard-?coded\s+secrets?\b"
            r"|\bscan\s+(?:\w+\s+){0,4}(?:code|repositor\w+|files)\s+for\s+(?:security|vulnerab)",
            _I,
        ),
        "scan source code for security vulnerabilities (static analysis)",
    ),
    (  # packages a project depends on, checked against advisories
        re.compile(
            r"\b(?:known|published)\s+(?:security\s+)?(?:vulnerabilit\w+|holes|advisories|cves?)\b"
            r"|\bvulnerability\s+database\b|\b(?:dependenc\w+|packages?|librar\w+)\s+(?:\w+\s+){0,3}"
            r"(?:vulnerab\w+|cves?|advisor\w+)",
            _I,
        ),
        "check package dependencies for known vulnerabilities",
    ),
    (  # a repository checked out here, not one on GitHub or GitLab
        re.compile(
            r"\blocal\s+(?:git\s+)?repo(?:sitory|sitories|s)?\b|\buncommitted\s+changes\b"
            r"|\brepo(?:sitory)?\s+(?:at|in)\s+~/|\b(?:stage|commit)\s+(?:only\s+)?(?:the\s+)?"
            r"(?:\w+\s+)?(?:files|changes)\b(?!\s+(?:to|on|in)\s+(?:github|gitlab|bitbucket))"
            r"|\bsince\s+the\s+last\s+commit\b",
            _I,
        ),
        "work with a local git repository: diff, commit, branch",
    ),
    (  # models and datasets to use, not a model to talk to
        re.compile(
            r"\b(?:open|open[\s-]source|open[\s-]weights?|pre-?trained)\s+(?:\w+\s+){0,2}models?\b"
            r"|\bmodels?\s+(?:\w+\s+){0,3}(?:under|below|smaller\s+than)\s+\d+(?:\.\d+)?\s*[bm]\b"
            r"|\b(?:training|evaluation|benchmark)\s+datasets?\b",
            _I,
        ),
        "search machine learning models and datasets",
    ),
    (
        re.compile(r"\bsmart\s+contracts?\b|\berc-?\d{2,4}\b|\bsolidity\b", _I),
        "write secure smart contracts (Solidity, ERC-20 tokens)",
    ),
    (  # what the internet sees of an address, and the internet's own health
        re.compile(
            r"\b(?:exposed|open)\s+(?:services|ports)\b|\b(?:services|ports?)\s+(?:are\s+)?"
            r"(?:exposed|open)\s+on\b"
            r"|\binternet[\s-]facing\s+(?:hosts?|services|devices)\b",
            _I,
        ),
        "internet-exposed hosts: open ports and services of an IP address",
    ),
    (
        re.compile(
            r"\binternet\s+(?:outages?|shutdowns?|disruptions?|traffic)\b|\btraffic\s+drops?\b"
            r"|\binternet\s+(?:is\s+)?down\b|\boutages?\s+and\s+traffic\b"
            r"|\boutages?\s+(?:in|across)\s+(?-i:[A-Z])",
            _I,
        ),
        "internet traffic trends and outages by country",
    ),
    # who changed a cloud account's settings: its audit trail, the vendor's own ("someone
    # changed our DNS records in Cloudflare, who was it?"), not the service that was changed
    (
        re.compile(rf"^(?=.*\bcloudflare\b)(?=.*(?:{_WHO_CHANGED}))", _I | re.S),
        "Cloudflare audit logs: who changed what in the account",
    ),
    (
        re.compile(
            rf"^(?=.*\b(?:aws|amazon|s3|ec2|rds|lambda)\b)(?=.*(?:{_WHO_CHANGED}))", _I | re.S
        ),
        "AWS CloudTrail events: who changed what in the account",
    ),
    (  # the GitHub word for them; GitLab says merge requests
        re.compile(r"\bpull\s+requests?\b|\bPRs?\b"),
        "GitHub pull requests",
    ),
]
