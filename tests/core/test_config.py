"""Configuration: validated once, one clear line per mistake naming the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from centrale.core.config import load, masked_view
from centrale.core.errors import ConfigError

GOOD = """\
# store config
[site]
role = "store"
store = 12
name = "Lyon"
hq_store = 1

[local]
url = "mysql://pos:s3cret-local@127.0.0.1:3306/pos"

[hq]
host = "203.0.113.10"
port = 2618
database = "pos_hq"
user = "store12"
password = "s3cret-hq"  # never printed

[ship]
batch_rows = 20
interval_s = 30
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "site.toml"
    p.write_text(text)
    p.chmod(0o600)
    return p


def test_a_good_file_loads_with_defaults_and_the_default_catalog(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, GOOD), env={})
    assert cfg.site.store == 12 and cfg.hq.port == 2618 and cfg.ship.batch_rows == 20
    assert cfg.outbox.path == tmp_path / "var/outbox.db"  # relative to the file
    assert "sales" in cfg.catalog.captured and "articles" not in cfg.catalog.captured
    assert cfg.warnings == ()


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace('role = "store"', 'role = "shop"'), "`site.role`"),
        (lambda t: t.replace("store = 12", 'store = "twelve"'), "`site.store`"),
        (lambda t: t.replace("batch_rows = 20", "batch_rows = 0"), "`ship.batch_rows`"),
        (lambda t: t.replace("interval_s = 30", "interval_s = -1"), "`ship.interval_s`"),
        (lambda t: t.replace("batch_rows = 20", "batch_rows = 20\nbatchrows = 3"), "unknown key `ship.batchrows`"),
        (lambda t: t + "\n[shipping]\nx = 1\n", "unknown key `shipping`"),
        (lambda t: t.replace("hq_store = 1\n", ""), "required key `site.hq_store` is missing"),
        (lambda t: t.replace('host = "203.0.113.10"\n', ""), "missing hq.host"),
        (lambda t: t.replace("mysql://", "postgres://"), "`local.url`"),
        (lambda t: t.replace("port = 2618", "port = 99999"), "`hq.port`"),
        (lambda t: t + '\n[tables.sales]\nkind = "aggregat"\ngroup = "sales"\n', "`tables.sales.kind`"),
        (lambda t: t + '\n[tables.sales]\nkind = "aggregate"\ngroup = "sales"\nkey = []\n', "tables.sales.key"),
        (lambda t: t.replace("[ship]", "[ship"), "not valid TOML"),
        (lambda t: t.replace('"203.0.113.10"', '"10.0.0.1, 10.0.0.2:99999"'), "`hq.host`"),
        (lambda t: t.replace('"203.0.113.10"', '"10.0.0.1,,10.0.0.2"'), "`hq.host`"),
        (lambda t: t.replace(":3306/pos", ":3306/pos?charset=latin1"), "asks for charset"),
        (lambda t: t.replace(":3306/pos", ":3306/pos?unix_socket=/a&ssl_ca=x.pem"), "asks for ssl_ca"),
    ],
)
def test_each_mistake_gets_one_line_naming_the_key(tmp_path: Path, edit, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, edit(GOOD)), env={})
    message = err.value.message
    assert expected in message
    assert "\n" not in message
    assert err.value.hint
    assert "s3cret" not in message and "s3cret" not in (err.value.hint or "")


def test_a_missing_file_names_the_flag_to_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load(tmp_path / "nope.toml", env={})


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, GOOD), env={"CENTRALE_HQ_PASSWORD": "from-env", "CENTRALE_SHIP_INTERVAL_S": "5"})
    assert cfg.hq_password() == "from-env"
    assert cfg.ship.interval_s == 5.0


@pytest.mark.parametrize(
    ("env", "message", "hint"),
    [
        (
            {"CENTRALE_SHIP_BATCH_ROW": "5"},
            "environment variable CENTRALE_SHIP_BATCH_ROW: no setting `ship.batch_row`",
            "fix its name (CENTRALE_<SECTION>_<KEY>",
        ),
        (
            {"CENTRALE_SHIP_BATCH_ROWS": "many"},
            "environment variable CENTRALE_SHIP_BATCH_ROWS: `ship.batch_rows` = 'many'",
            "fix or unset CENTRALE_SHIP_BATCH_ROWS in the service's environment",
        ),
        (
            {"CENTRALE_HQ_PASSWORD": "x", "CENTRALE_LOCAL_URL": "http://nope"},
            "environment variable CENTRALE_LOCAL_URL: `local.url` = ***",
            "CENTRALE_LOCAL_URL",
        ),
    ],
)
def test_a_wrong_environment_override_names_the_variable_not_the_file(
    tmp_path: Path, env: dict[str, str], message: str, hint: str
) -> None:
    path = write(tmp_path, GOOD)
    with pytest.raises(ConfigError) as err:
        load(path, env=env)
    assert err.value.message.startswith(message) and str(path) not in err.value.message, err.value.message
    assert err.value.hint is not None and hint in err.value.hint
    assert "http://nope" not in err.value.message


def test_a_centrale_variable_that_names_no_section_is_a_warning(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD.replace('password = "s3cret-hq"', 'password_env = "CENTRALE_PW"'))
    env = {"CENTRALE_SHIPS_INTERVAL_S": "5", "CENTRALE_PW": "pw", "CENTRALE_CONFIG": "x", "CENTRALE_TEST_HQ_URL": "y"}
    warned = [str(w) for w in load(p, env=env).warnings]
    assert warned == [
        "environment variable CENTRALE_SHIPS_INTERVAL_S names no setting: nothing reads it "
        "(the sections: site, local, hq, ship, outbox, log, options, jobs, console)"
    ]


def test_password_env_names_a_variable_that_must_exist(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD.replace('password = "s3cret-hq"', 'password_env = "HQ_PW"'))
    assert load(p, env={"HQ_PW": "pw"}).hq_password() == "pw"
    with pytest.raises(ConfigError, match=r"\$HQ_PW"):
        load(p, env={})


def test_secrets_never_show_in_repr_or_config_show(tmp_path: Path) -> None:
    cfg = load(write(tmp_path, GOOD), env={})
    assert "s3cret" not in repr(cfg)
    assert "s3cret" not in str(masked_view(cfg))
    assert masked_view(cfg)["local"]["url"] == "mysql://pos:***@127.0.0.1:3306/pos"


def test_a_file_readable_by_others_gets_a_warning(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD)
    p.chmod(0o644)
    assert any("chmod 600" in str(w) for w in load(p, env={}).warnings)


def test_tls_files_must_exist_and_certificates_need_their_key(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    cfg = load(write(tmp_path, GOOD.replace('password = "s3cret-hq"', 'ssl_ca = "ca.pem"')), env={})
    assert cfg.hq.ssl_ca == ca  # relative to the config file
    with pytest.raises(ConfigError, match=r"`hq.ssl_ca` = 'nope.pem': no such file"):
        load(write(tmp_path, GOOD.replace('password = "s3cret-hq"', 'ssl_ca = "nope.pem"')), env={})
    with pytest.raises(ConfigError, match="go together"):
        load(write(tmp_path, GOOD.replace('password = "s3cret-hq"', 'ssl_cert = "ca.pem"')), env={})


def test_hq_host_lists_a_clusters_nodes_tried_in_order(tmp_path: Path) -> None:
    from centrale.core.db import hq_params

    text = GOOD.replace('"203.0.113.10"', '"10.0.0.1, 10.0.0.2:3307, [2001:db8::3]"')
    params = hq_params(load(write(tmp_path, text), env={}).hq)
    assert params.servers == (("10.0.0.1", 2618), ("10.0.0.2", 3307), ("2001:db8::3", 2618))
    assert params.describe() == "store12@10.0.0.1:2618 (+2 more)/pos_hq"
    # after a failover, the node that answered is tried first, then the others in their order
    moved = params.starting_at("10.0.0.2", 3307)
    assert moved.servers == (("10.0.0.2", 3307), ("2001:db8::3", 2618), ("10.0.0.1", 2618))
    assert params.starting_at("10.0.0.9", 1) is params


def test_a_local_url_may_name_the_servers_unix_socket(tmp_path: Path) -> None:
    socket_url = GOOD.replace("@127.0.0.1:3306/pos", "@localhost/pos?unix_socket=/run/mysqld/mysqld.sock")
    params = load(write(tmp_path, socket_url), env={}).local.params
    assert params.unix_socket == "/run/mysqld/mysqld.sock"
    assert params.pymysql_kwargs()["unix_socket"] == "/run/mysqld/mysqld.sock"
    assert params.describe() == "pos@localhost:/run/mysqld/mysqld.sock/pos"
