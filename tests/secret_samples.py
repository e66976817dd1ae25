"""Sample secrets of every format we claim to catch, each inside a sentence a person might paste.

The values are made up here (a seeded generator, so they are the same on every run) in the
issuers' published shapes; none is a real credential.
"""

from __future__ import annotations

import base64
import random
import string
from dataclasses import dataclass

_rng = random.Random(16)
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
B64URL = ALNUM + "-_"


def r(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Sample:
    label: str  # the README table's row
    secret: str
    text: str  # a message holding it
    issue: str  # "caught" (before issue 16), "missed" (named missed in issue 16) or "ours"


def s(label: str, secret: str, issue: str, template: str = "here it is: {} thanks") -> Sample:
    return Sample(label, secret, template.format(secret), issue)


_PEM_BODY = "\n".join(base64.b64encode(_rng.randbytes(48)).decode() for _ in range(6))
_AWS_ID = "AKIA" + r(16, string.ascii_uppercase + "234567")
_AWS_SECRET = r(40, ALNUM + "/+")
_TWILIO_SID = "AC" + r(32, HEX)
_TWILIO_TOKEN = r(32, HEX)

ISSUE_16 = [
    # caught before issue 16 (kept caught)
    s("GitHub classic personal access token", "ghp_" + r(36), "caught"),
    s(
        "GitHub fine-grained personal access token",
        "github_pat_11A" + r(19) + "_" + r(59),
        "caught",
    ),
    s("GitHub OAuth / app / refresh token", "gho_" + r(36), "caught"),
    s("GitLab personal access token", "glpat-" + r(20, B64URL), "caught"),
    s("Slack bot / user token", "xoxb-1234567890-1234567890123-" + r(24), "caught"),
    s("OpenAI API key (sk-proj-)", "sk-proj-" + r(74, B64URL) + "T3BlbkFJ" + r(20), "caught"),
    s("OpenAI legacy key (sk-)", "sk-" + r(48), "caught"),
    s("Anthropic API key", "sk-ant-api03-" + r(93, B64URL) + "AA", "caught"),
    s("AWS access key id", _AWS_ID, "caught"),
    Sample(
        "AWS secret access key (next to its key id)",
        _AWS_SECRET,
        f"id {_AWS_ID} secret {_AWS_SECRET}",
        "caught",
    ),
    s("Stripe secret / restricted key", "sk_live_" + r(24), "caught"),
    s("Google API key", "AIza" + r(35, B64URL), "caught"),
    s(
        "JSON Web Token",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + r(43, B64URL),
        "caught",
    ),
    s("Hugging Face token", "hf_" + r(34, string.ascii_letters), "caught"),
    s("npm access token", "npm_" + r(36), "caught"),
    s(
        "PEM private key block (RSA, EC, OpenSSH, PKCS#8)",
        f"-----BEGIN RSA PRIVATE KEY-----\n{_PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        "caught",
        "my key:\n{}\nplease use it",
    ),
    s("NAME=value for a secret-like name", "Zx81-" + r(20), "caught", "export MY_API_KEY={} now"),
    # named as missed in issue 16
    s("Notion integration secret (secret_)", "secret_" + r(43), "missed"),
    s("Notion token (ntn_)", "ntn_" + r(11, string.digits) + r(35), "missed"),
    s("Linear API key", "lin_api_" + r(40), "missed"),
    s("Twilio API key", "SK" + r(32, HEX), "missed"),
    Sample(
        "Twilio auth token (next to its account SID)",
        _TWILIO_TOKEN,
        f"account {_TWILIO_SID} auth token {_TWILIO_TOKEN}",
        "missed",
    ),
    s("SendGrid API key", "SG." + r(22, B64URL) + "." + r(43, B64URL), "missed"),
    s(
        "Discord bot token",
        "MT" + r(24, B64URL) + "." + r(6, B64URL) + "." + r(38, B64URL),
        "missed",
    ),
    s("Telegram bot token", "7123456789:AA" + r(33, B64URL), "missed"),
    s("Shopify access token", "shpat_" + r(32, HEX), "missed"),
    s(
        "Azure storage account key",
        r(86, ALNUM + "+/") + "==",
        "missed",
        "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={};EndpointSuffix=core",
    ),
    s("Azure AD (Entra) client secret", "abc8Q~" + r(34, ALNUM + "_~.-"), "missed"),
    s(
        "Slack webhook URL",
        "https://hooks.slack.com/services/T0" + r(8) + "/B0" + r(8) + "/" + r(24),
        "missed",
    ),
    s(
        "PGP private key block",
        "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n"
        f"{_PEM_BODY}\n=Ab3d\n-----END PGP PRIVATE KEY BLOCK-----",
        "missed",
        "key:\n{}\n",
    ),
    s(
        "Database URL with a password",
        "postgresql://app:" + r(16) + "@db.internal.example:5432/prod",
        "missed",
        "connect to {} and list the tables",
    ),
    s(
        "Authorization: Bearer header",
        r(40, B64URL),
        "missed",
        'curl -H "Authorization: Bearer {}" https://api.example.com',
    ),
    s(
        "Basic-auth URL",
        "https://deploy:" + r(14) + "@ci.example.com/hooks/run",
        "missed",
        "the hook is {}.",
    ),
    s("'my password is ...'", "sunflower42", "missed", "my password is sunflower42, use it"),
    s("Long base64 blob", base64.b64encode(_rng.randbytes(48)).decode(), "missed"),
]

OURS = [
    s(
        "Azure AI services / Azure OpenAI key",
        r(52) + "JQQJ99BAACYeBjFXJ3w3AAAFACOG" + r(4),
        "ours",
    ),
    s(
        "Azure SAS signature",
        r(43, ALNUM + "%") + "%3D",
        "ours",
        "https://a.blob.core.windows.net/c?sv=1&sig={}",
    ),
    s("Stripe webhook secret", "whsec_" + r(32), "ours"),
    s("Google OAuth client secret", "GOCSPX-" + r(28, B64URL), "ours"),
    s("Google OAuth access token", "ya29." + r(120, B64URL), "ours"),
    s("PyPI upload token", "pypi-AgEIcHlwaS5vcmc" + r(70, B64URL), "ours"),
    s(
        "Discord webhook URL",
        "https://discord.com/api/webhooks/123456789012345678/" + r(68, B64URL),
        "ours",
    ),
    s("Slack app-level token", "xapp-1-A0" + r(9) + "-1234567890123-" + r(64, HEX), "ours"),
    s("Databricks token", "dapi" + r(32, HEX), "ours"),
    s("DigitalOcean token", "dop_v1_" + r(64, HEX), "ours"),
    s("Doppler token", "dp.pt." + r(43), "ours"),
    s("Postman API key", "PMAK-" + r(24, HEX) + "-" + r(34, HEX), "ours"),
    s("Pulumi access token", "pul-" + r(40, HEX), "ours"),
    s("Grafana service account token", "glsa_" + r(32) + "_" + r(8, HEX), "ours"),
    s("Sentry user token", "sntryu_" + r(64, HEX), "ours"),
    s("PlanetScale token", "pscale_tkn_" + r(43), "ours"),
    s("HashiCorp Vault token", "hvs." + r(95, B64URL), "ours"),
    s("Heroku API key", "HRKU-AA" + r(58, B64URL), "ours"),
    s("age secret key", "AGE-SECRET-KEY-1" + r(58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"), "ours"),
    s("Perplexity API key", "pplx-" + r(48), "ours"),
    s("Atlassian API token", "ATATT3" + r(186, B64URL), "ours"),
    s("Square access token", "EAAA" + r(60, B64URL), "ours"),
    s("Fly.io token", "fo1_" + r(43, B64URL), "ours"),
    s("Mailgun API key", "key-" + r(32, HEX), "ours"),
    s("Mailchimp API key", r(32, HEX) + "-us14", "ours"),
    s("Groq API key", "gsk_" + r(52), "ours"),
    s("Replicate API token", "r8_" + r(37), "ours"),
    s("Tavily API key", "tvly-dev-" + r(32), "ours"),
    s("Resend API key", "re_" + r(8) + "_" + r(24), "ours"),
    s("Firecrawl API key", "fc-" + r(32, HEX), "ours"),
    s("Docker Hub access token", "dckr_pat_" + r(27, B64URL), "ours"),
    s("Airtable personal access token", "pat" + r(14) + "." + r(64, HEX), "ours"),
    s(
        "HubSpot private app token",
        "pat-na1-" + r(8, HEX) + "-1234-5678-9abc-" + r(12, HEX),
        "ours",
    ),
    s("Neon API key", "napi_" + r(64), "ours"),
    s("Supabase access token", "sbp_" + r(40, HEX), "ours"),
    s("xAI API key", "xai-" + r(80), "ours"),
    s("Figma access token", "figd_" + r(40, B64URL), "ours"),
    s("Bearer token in prose", r(32, B64URL), "ours", "use bearer {} for the API"),
    s("curl -u user:password", "admin:" + r(12), "ours", "run curl -s -u {} https://x.example"),
    s("JSON field with a secret-like name", r(24), "ours", 'config: {{"client_secret": "{}"}}'),
    s("'the token is ...'", "Tk" + r(18), "ours", "the token is {} for prod"),
    s("MongoDB URL with a password", "mongodb+srv://u:" + r(12) + "@c0.example.net/db", "ours"),
    s("Redis URL with a password only", "redis://:" + r(20) + "@cache:6379/0", "ours"),
]

# Ordinary messages that must come through untouched.
PROSE = [
    "Please build an agent that reads my GitHub issues and posts a summary to Slack; "
    "my token is expired, see https://github.com/settings/tokens and sk-learn docs.",
    "Every morning, summarise new Linear issues and send them to the team on Discord.",
    "My password is not working, and the API key is missing: what should I do?",
    "The password is required. The token was revoked yesterday.",
    "Commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39 fixed it; see task-1234 and sk_learn.",
    "Read https://docs.python.org/3/library/re.html#regular-expression-syntax please.",
    "Use postgres://localhost:5432/app for the local database (no password).",
    "Set an Authorization header with your bearer token when you call the API.",
    "My phone is 555-0100 and the meeting is at 10:30; order 12345678 shipped.",
    "thisIsAVeryLongCamelCaseIdentifierNameForTesting and snake_case_identifier_name_too",
    "a" * 60,
    "The uuid is 123e4567-e89b-12d3-a456-426614174000 and the secret_key setting exists.",
]
