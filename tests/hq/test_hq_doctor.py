"""Head office's `doctor` checks what `hq init` and `hq add-store` need of its server: a binlogging
server refuses triggers to an account without SUPER unless log_bin_trust_function_creators is
on (`hq init` would stop with error 1419 halfway), and creating the stores' accounts needs
CREATE USER and WITH GRANT OPTION."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from sandbox.chain import Chain
from sandbox.processes import run_centrale


def centrale(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_centrale(config, *args, env={**os.environ, "LANG": "C.UTF-8", "COLUMNS": "200"})


def test_head_office_doctor_names_the_trigger_setting_and_the_account_privileges(chain: Chain, tmp_path: Path) -> None:
    hq = chain.hq
    user = f"hqadmin_{os.getpid()}"
    hq.server.sql(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
    hq.server.sql(f"GRANT ALL PRIVILEGES ON `{hq.database}`.* TO '{user}'@'%'")
    (trusted,) = hq.server.sql("SELECT @@GLOBAL.log_bin_trust_function_creators")[0]
    config = tmp_path / "hq.toml"
    text = hq.config.read_text()
    url = f"mysql://{user}:pw@{hq.server.host}:{hq.server.port}/{hq.database}"
    config.write_text(re.sub(r'^url = ".*"$', f'url = "{url}"', text, flags=re.M))
    config.chmod(0o600)
    try:
        hq.server.sql("SET GLOBAL log_bin_trust_function_creators = 0")
        refused = centrale(config, "doctor")
        assert refused.returncode == 3, refused.stdout + refused.stderr
        assert re.search(r"^FAIL triggers: .*log_bin_trust_function_creators is off.*1419", refused.stdout, re.M)
        assert "fix: SET GLOBAL log_bin_trust_function_creators = 1" in refused.stdout
        assert re.search(r"^WARN store accounts: .*CREATE USER", refused.stdout, re.M), refused.stdout

        hq.server.sql("SET GLOBAL log_bin_trust_function_creators = 1")
        hq.server.sql(f"GRANT CREATE USER ON *.* TO '{user}'@'%'")
        hq.server.sql(f"GRANT ALL PRIVILEGES ON `{hq.database}`.* TO '{user}'@'%' WITH GRANT OPTION")
        passed = centrale(config, "doctor")
        assert passed.returncode == 0, passed.stdout + passed.stderr
        assert "ok   triggers" in passed.stdout and "ok   store accounts" in passed.stdout, passed.stdout
    finally:
        hq.server.sql(f"SET GLOBAL log_bin_trust_function_creators = {int(trusted)}")
        hq.server.sql(f"DROP USER '{user}'@'%'")
