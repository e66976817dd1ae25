"""Every credential template of the bundled catalog can be filled: its own example passes the
validation a person's value goes through, secret-looking names are secret, and every required
secret says what it is (and where it is created, when the entry names a vendor URL)."""

from catalog.credential import looks_secret
from catalog.loader import validate_catalog
from credentials.validation import validate_values

ENTRIES = validate_catalog()[0]


def test_every_example_passes_its_own_validation() -> None:
    checked = 0
    for entry in ENTRIES:
        for cred in entry.credentials:
            if cred.example is not None:
                clean = validate_values(entry, {cred.name: cred.example})
                assert clean == {cred.name: cred.example.strip()}, (entry.slug, cred.name)
                checked += 1
    assert checked > 300


def test_the_postgres_url_example_is_accepted() -> None:  # the case that blocked postgres
    postgres = next(e for e in ENTRIES if e.slug == "postgres")
    url = "postgresql://user:password@localhost:5432/mydb"
    assert validate_values(postgres, {"POSTGRES_URL": url}) == {"POSTGRES_URL": url}


def test_secret_looking_names_are_secret() -> None:
    plain = [
        (e.slug, c.name)
        for e in ENTRIES
        for c in e.credentials
        if looks_secret(c.name) and not c.secret
    ]
    assert plain == []
    assert looks_secret("GITHUB_PERSONAL_ACCESS_TOKEN") and looks_secret("DB_PASSWORD")
    assert not looks_secret("SENTRY_TOKEN_URL") and not looks_secret("VALKEY_HOST")


def test_every_required_secret_has_instructions() -> None:
    for entry in ENTRIES:
        for cred in entry.credentials:
            if cred.secret and cred.required:
                words = cred.description.lower().replace("_", " ")
                assert len(cred.description) >= 20, (entry.slug, cred.name, cred.description)
                assert words != cred.name.lower().replace("_", " "), (entry.slug, cred.name)
                assert cred.obtain_url is None or cred.obtain_url.startswith("https://")
                instruction = cred.instruction()
                assert cred.description.rstrip(".") in instruction
                if cred.obtain_url:
                    assert cred.obtain_url in instruction
    with_url = sum(
        1 for e in ENTRIES for c in e.credentials if c.secret and c.required and c.obtain_url
    )
    assert with_url >= 100  # 58 before the fixes of issue 14
