"""Service credentials recognised by their shape: webhook URLs, cloud keys, connection strings
and the token formats of common services (after gitleaks' rules of the same names).

Each rule keeps at least three true and three false samples (tested in
``tests/unit/rules/test_service_rules.py``). Shapes that are ambiguous alone (a 40-character
base64 run, a UUID, 32 hex digits) count only with context: a key path or words next to them.
"""

from __future__ import annotations

import base64
import binascii
import re

from .rule import PatternRule, Validator, entropy, placeholder, text_before

__all__ = ["CONNECTION_STRING_RULE", "SERVICE_TOKEN_RULES"]


def _token(description: str, min_entropy: float = 3.0) -> Validator:
    """A validator: the token's body is random enough (not ``xxxx...``, ``0000...``, a word)."""

    def validate(match: re.Match[str], path: str) -> str | None:
        body = match.group("body")
        if placeholder(body) or entropy(body) < min_entropy:
            return None
        return description

    return validate


# -- Slack webhooks -------------------------------------------------------------------------

_SLACK_HOOK_KINDS = {"services": "incoming webhook", "workflows": "workflow webhook", "triggers": "trigger"}


def _slack_webhook(match: re.Match[str], path: str) -> str | None:
    secret = match.group("body").rstrip("/").rsplit("/", 1)[-1]
    if placeholder(match.group("body")) or len(secret) < 16 or entropy(secret) < 3.0:
        return None  # the docs' T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX
    return f"Slack {_SLACK_HOOK_KINDS[match.group('kind')]} URL"


# -- AWS secret access keys -----------------------------------------------------------------

#: Names an AWS secret access key goes by: ``aws_secret_access_key``, ``SecretAccessKey``
#: (boto3's credentials), ``AWS_SECRET``; searched in the key path and just before the value
#: (no "." between the words: a path's segments are apart in the item's text, where the
#: prefilter's trigger looks for the same words).
AWS_SECRET_CONTEXT = r"(?i)aws[-_ ]?secret|secret[-_ ]?access[-_ ]?key"
_AWS_SECRET_CONTEXT = re.compile(AWS_SECRET_CONTEXT)
_AWS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])")


def _aws_secret(match: re.Match[str], path: str) -> str | None:
    key = match.group(0)
    if not (re.search(r"[a-z]", key) and re.search(r"[A-Z]", key)) or re.fullmatch(r"[0-9a-fA-F]+", key):
        return None  # a hex digest (release, commit, SHA-1) is no secret key
    if placeholder(key) or entropy(key) < 4.0:
        return None
    if _AWS_SECRET_CONTEXT.search(path) or _AWS_SECRET_CONTEXT.search(text_before(match, 60)):
        return "AWS secret access key (named by its key)"
    start, end = match.span()
    if _AWS_KEY_ID.search(match.string, max(0, start - 300), end + 300):
        return "AWS secret access key (next to its key id)"
    return None


# -- connection strings ---------------------------------------------------------------------

_BASE64 = re.compile(r"[A-Za-z0-9+/_-]+=*")


def _connection_string(match: re.Match[str], path: str) -> str | None:
    url_password = match.group("urlpassword")
    if url_password is not None:
        return None if placeholder(url_password) else "password in a URL with an empty user name"
    key = re.sub(r"\s", "", match.group("key")).lower()
    value = match.group("value")
    secret = value[1:-1] if value[0] in "{\"'" else value
    if not secret.strip() or placeholder(secret) or placeholder(value):
        return None
    end = match.end()
    before = text_before(match, 200)
    if before.rstrip().endswith(";") or match.string[end : end + 40].lstrip().startswith(";"):
        form = "connection string"
    elif before[-1:] in ("?", "&") and "://" in before:
        form = "connection URL"
    else:
        return None  # "password=..." alone: a query string or a sentence, not a connection string
    if key in ("accountkey", "sharedaccesskey", "accesskey"):
        if len(secret) < 20 or not _BASE64.fullmatch(secret) or entropy(secret) < 3.5:
            return None
        return f"{form} with an account key"
    if key == "sharedaccesssignature":
        return f"{form} with a shared access signature" if "sig=" in secret else None
    return f"{form} with a password" if len(secret) >= 3 else None


CONNECTION_STRING_RULE = PatternRule(
    "connection-string",
    "high",
    re.compile(
        r"(?i)(?<![\w])(?P<key>password|pwd|user ?password|account ?key|shared ?access ?key"
        r"|shared ?access ?signature|access ?key)\s*=\s*"
        r"(?P<value>\{[^}]{1,256}\}|\"(?:[^\"]|\"\"){1,256}\"|'[^']{1,256}'|[^;\s'\"]{1,1024})"
        r"|(?<![\w+.-])[a-z][a-z0-9+.-]{1,30}://:(?P<urlpassword>[^/\s:@\"']{1,256})@"
    ),
    _connection_string,
    (
        "Server=tcp:sql-prod.example.net,1433;Database=shop;User ID=app;Password=Hunter2-Prod!;",
        "DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=fOE24ZCVg/TbxD3W9+4T0D1+"
        "COQXAiZO0OAMR6j4glmWsiYAXlb7sWXTljTX3US+2Ar3YLzzcQOBFLMvPI4t7A==;EndpointSuffix=core.windows.net",
        "Endpoint=sb://shop-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=BfZ/CCgDZisqopUQWEsjAlW0YLD68aEJ/y+2MDJ1KDg=",
        "Driver={ODBC Driver 18 for SQL Server};Server=db;Uid=app;Pwd={p@ss;w0rd};",
        "jdbc:sqlserver://db.internal:1433;databaseName=shop;user=sa;password=S3cure!pw",
        "redis://:Rz8kQ2vLm4@cache.internal:6379/0",
        "mongodb://db.internal/shop?authSource=admin&password=Mg0-p4ss",
    ),
    (
        "Server=db;Database=shop;Integrated Security=SSPI;",
        "Server=db;User ID=app;Password=[Filtered];",
        "Server=db;Password=${DB_PASSWORD};",
        "AccessKey=true;Region=eu",
        "Endpoint=sb://shop-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;",
        "password=hunter22",
        "reset the password=required flag",
        "redis://localhost:6379/0",
        "redis://:[Filtered]@cache:6379",
    ),
)

# -- service tokens -------------------------------------------------------------------------


def _pypi(match: re.Match[str], path: str) -> str | None:
    body = match.group(0)[5:]
    try:
        decoded = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
    if decoded.startswith(b"\x02\x01\x08pypi.org"):
        return "PyPI API token"
    return "TestPyPI API token" if decoded.startswith(b"\x02\x01\x0dtest.pypi.org") else None


def _huggingface(match: re.Match[str], path: str) -> str | None:
    body = match.group("body")
    upper = sum(char.isupper() for char in body)
    if placeholder(body) or not 9 <= upper <= 25:
        return None  # random letters are about half capitals; an identifier has few
    return "Hugging Face access token"


_MAILGUN_CONTEXT = re.compile(r"(?i)mailgun")


def _mailgun(match: re.Match[str], path: str) -> str | None:
    if placeholder(match.group("body")) or entropy(match.group("body")) < 3.0:
        return None
    if _MAILGUN_CONTEXT.search(path) or _MAILGUN_CONTEXT.search(text_before(match, 80)):
        return "Mailgun API key"
    return "Mailgun API key (basic auth)" if text_before(match, 4) == "api:" else None


_HEROKU_CONTEXT = re.compile(
    r"(?i)heroku[\w.-]{0,20}?(?:api|key|token|secret|auth)|(?:api|key|token|secret|auth)[\w.-]{0,20}?heroku"
)


def _heroku(match: re.Match[str], path: str) -> str | None:
    body = match.group("body")
    if body.startswith("HRKU-AA"):
        return "Heroku API key" if not placeholder(body[7:]) and entropy(body[7:]) >= 4.0 else None
    if len(set(body.replace("-", ""))) < 6:
        return None  # 00000000-0000-0000-0000-000000000000
    if _HEROKU_CONTEXT.search(path) or _HEROKU_CONTEXT.search(text_before(match, 60)):
        return "Heroku API key (named by its key)"
    return None


SERVICE_TOKEN_RULES: tuple[PatternRule, ...] = (
    PatternRule(
        "slack-webhook",
        "critical",
        re.compile(
            r"\bhooks\.slack\.com/(?P<kind>services|workflows|triggers)/(?P<body>[A-Za-z0-9+/_-]{20,160})"
        ),
        _slack_webhook,
        (
            "https://hooks.slack.com/services/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",
            "posting to hooks.slack.com/services/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 failed",
            "https://hooks.slack.com/workflows/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",
        ),
        (
            "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "hooks.slack.com/services/YOUR/WEBHOOK/URL",
            "https://api.slack.com/messaging/webhooks",
            "https://hooks.slack.com/",
        ),
    ),
    PatternRule(
        "aws-secret-key",
        "critical",
        re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
        _aws_secret,
        (
            "aws_secret_access_key = 2K6O0GRjz5/fkheUv9AyVjPMr6wywaPsAVXxn6UX",
            "{'AccessKeyId': 'ASIAY34FZKBOKMUTVV7A', "
            "'SecretAccessKey': 'pHFSwPYGXg0D9Hs2yksUxzur5WXPydhFs5Ig7KQh'}",
            "AWS_SECRET=J4OyOson0Oqn/wE/w6VqU5VgeG5xTMvOJAosJx+B",
            "AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "pHFSwPYGXg0D9Hs2yksUxzur5WXPydhFs5Ig7KQh",  # alone: any 40 base64 characters
            "aws_secret_access_key = 8f2c1d9e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",  # a hex digest
            "release shop@4.2.0+8f2c1d9e0b7a6c5d4e3f2a1b0c9d8e7f6a5b4c3d",
            "aws_secret_access_key = AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "secret_access_key: [Filtered]",
        ),
        reads_key_path=True,
    ),
    PatternRule(
        "twilio-api-key",
        "critical",
        re.compile(r"\bSK(?P<body>[0-9a-f]{32})\b"),
        _token("Twilio API key"),
        (
            "SK0deaf1488ba25ff33aec316895bff407",
            "twilio key SK3fd196cb2cc2413a626cf324ff85edb7 rejected",
            "TWILIO_API_KEY=SK399ea8ae9e813d6dda16e66308d16e0a",
        ),
        (
            "SK00000000000000000000000000000000",
            "SKU3fd196cb2cc2413a626cf324ff85edb7",
            "SK3fd196cb2cc2413a626cf324ff85edb",
            "AC3fd196cb2cc2413a626cf324ff85edb7",  # an account SID: an identifier, not a key
        ),
    ),
    PatternRule(
        "sendgrid-api-key",
        "critical",
        re.compile(r"\bSG\.(?P<body>[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])"),
        _token("SendGrid API key", 3.5),
        (
            "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",
            "sendgrid: 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",
            "Bearer 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",
        ),
        (
            "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "SG.cBGWjCzqsodSB7otNpD--8",
            "MSG.cBGWjCzqsodSB7otNpD--8.YXAR31NJsTIdi5gvcM3xtS3h_2lZP6NyPCgrDttTCH6",
        ),
    ),
    PatternRule(
        "npm-token",
        "critical",
        re.compile(r"\bnpm_(?P<body>[A-Za-z0-9]{36})\b"),
        _token("npm access token", 3.5),
        (
            "npm_xJwHG2iI96edjnSGxfz7q92GI2KruOrF97i7",
            "//registry.npmjs.org/:_authToken=npm_dt0tC5H5ZhbP18OqCM8Uh5sOBRmqHIrMbsPO",
            "NPM_TOKEN=npm_AWs7sJ8HCJzO6a536esrYpPGVvMKzVNLt2Fs",
        ),
        (
            "npm_config_cache=/home/ci/.npm",
            "npm_package_version",
            "npm_000000000000000000000000000000000000",
            "npm_xJwHG2iI96edjnSGxfz7q92GI2KruOrF97i7x",
        ),
    ),
    PatternRule(
        "pypi-token",
        "critical",
        re.compile(r"\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,1000}"),
        _pypi,
        (
            "pypi-AgEIcHlwaS5vcmcCJQBiNDI3YjBhOS05OTljLTQwYWYtODhjNi1iNjgxOGI2ZGQ4ZjIAAgZSv08bnLiOuUjtZr9c9w21nPoO"
            "jd7zmQdVfcbBFjtcUI8SXfbFAEe_sGlXyhBA0oALEXT9PFZIDXgI39o",
            "TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcCJQA3N2M3NjQ5Mi0xMWZmLTQ2ZmQtYjA3YS03Y2ZhZDk2NWZkMTcAAgb0iuyZ2_48p5"
            "xLVBXtrXXizFLw8WTvrbWQoM9bA2asr2PgjMl_MVd_BfajgEtkHpqkxQpWGEoKEAzcGWE",
            "pypi-AgENdGVzdC5weXBpLm9yZwIlAGMwMzM2N2MxLTJjZTYtNGQ5NC04MTdkLTgzN2RlYzNhNmIxNQACBgmQqpQ14EuZRezNp1GG"
            "EEWdF2co-w06w5bO1kO59mj4qHJrv5cioVsXHPhUeFNtAZ9W6mh23QXM_2uG6Q",
        ),
        ("pypi-AgEIcHlwaS5vcmc", "pypi-AgEIcHlwaS5vcmc...", "https://pypi.org/project/pytest-sentry-check/"),
    ),
    PatternRule(
        "huggingface-token",
        "critical",
        re.compile(r"\b(?:hf|api_org)_(?P<body>[A-Za-z]{34})\b"),
        _huggingface,
        (
            "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",
            "huggingface-cli login --token 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",
            "HF_TOKEN=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",
        ),
        (
            "hf_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "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",
            "hf_thisIsTheModelCardTemplateFileXYZ",
            "rhf_elxBlkFPaztWMHRWaBIlkFLYayflSbPUud",
        ),
    ),
    PatternRule(
        "mailgun-api-key",
        "critical",
        re.compile(r"\b(?P<body>key-[0-9a-f]{32}|[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8})\b"),
        _mailgun,
        (
            "MAILGUN_API_KEY=key-0fb4aa5c856b10f18d24288ab01b30ee",
            "mailgun send failed (api key dbf9b9403fccba7dc3ce71cfc8a05671-94e91123-c7c1ade7)",
            "https://api:key-dfca2cc676e3f2c0664859336d0a9cc9@api.mailgun.net/v3/mg.example.com/messages",
        ),
        (
            "cache key-0fb4aa5c856b10f18d24288ab01b30ee",  # a digest in a cache key, no Mailgun near
            "mailgun key-00000000000000000000000000000000",
            "mailgun domain mg.shop.example",
            "47c3b5133769b2c72793138af7469b84-a454c92e-8ca1e18b",
        ),
        reads_key_path=True,
    ),
    PatternRule(
        "databricks-token",
        "critical",
        re.compile(r"\bdapi(?P<body>[0-9a-f]{32})(?:-\d)?\b"),
        _token("Databricks access token"),
        (
            "dapi3fd0a7a2bc44942e3c866783b4857134",
            "DATABRICKS_TOKEN=dapidb0b992ded59367d4400118dca2cbcf7",
            "token = dapi2e9bea2b286526077b3c069210cb7cf3-2",
        ),
        (
            "DATABRICKS_TOKEN=dapi123456789012345678a9bc01234defg5",
            "dapi00000000000000000000000000000000",
            "dapi3fd0a7a2bc44942e3c866783b485713",
        ),
    ),
    PatternRule(
        "heroku-api-key",
        "critical",
        re.compile(
            r"(?P<body>\bHRKU-AA[0-9A-Za-z_-]{58}(?![0-9A-Za-z_-])"
            r"|(?<![0-9A-Za-z-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
            r"(?![0-9A-Za-z-]))"
        ),
        _heroku,
        (
            "HRKU-AATcodGoxMzRHTMgWWeImzcZ025_23OdtnSFXgyBQnIiV25R7L8NU72R9Sw1",
            "HEROKU_API_KEY=832d2129-a846-4e27-99f4-7004b6ad53ef",
            'heroku_api_key = "5f1b7c2e-9a3d-4e8f-b6c1-2d7e9f0a3b4c"',
        ),
        (
            "832d2129-a846-4e27-99f4-7004b6ad53ef",  # a UUID alone: a request id
            "heroku app id 832d2129-a846-4e27-99f4-7004b6ad53ef",
            "HEROKU_API_KEY=00000000-0000-0000-0000-000000000000",
            "HRKU-AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ),
        reads_key_path=True,
    ),
)
