"""A store's reference table as head office creates it (`hq init --reference`): the store's own
definition with its foreign keys left out (their parents may not be at head office, or not yet)
and its collations named as head office's server names them; a collation head office has no
equivalent of is refused, naming the table, not created differently."""

from __future__ import annotations

import pytest

from centrale.core.errors import PreflightError
from centrale.hq.reference import definition_at_hq

MYSQL_DDL = """CREATE TABLE `keyboard_keys` (
  `id` int NOT NULL AUTO_INCREMENT,
  `keyboard_id` int NOT NULL,
  `label` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci NOT NULL,
  PRIMARY KEY (`id`),
  KEY `fk_key_keyboard` (`keyboard_id`),
  CONSTRAINT `fk_key_keyboard` FOREIGN KEY (`keyboard_id`) REFERENCES `keyboards` (`id`)
) ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci"""
MARIADB = {"utf8mb4_uca1400_ai_ci": "utf8mb4", "utf8mb4_general_ci": "utf8mb4", "latin1_swedish_ci": "latin1"}


def test_foreign_keys_are_left_out_and_collations_translated() -> None:
    ddl = definition_at_hq("keyboard_keys", MYSQL_DDL, MARIADB)
    assert ddl.startswith("CREATE TABLE IF NOT EXISTS `keyboard_keys` (")
    assert "FOREIGN KEY" not in ddl and "KEY `fk_key_keyboard` (`keyboard_id`)\n)" in ddl
    assert "utf8mb4_0900_ai_ci" not in ddl and ddl.count("utf8mb4_uca1400_ai_ci") == 2
    assert ddl.endswith(") ENGINE=InnoDB AUTO_INCREMENT=7 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci")


def test_a_collation_head_office_lacks_is_refused_naming_the_table() -> None:
    with pytest.raises(PreflightError) as refused:
        definition_at_hq("keyboard_keys", MYSQL_DDL.replace("utf8mb4_0900_ai_ci", "gb18030_unicode_520_ci"), MARIADB)
    assert "keyboard_keys" in refused.value.message and "gb18030_unicode_520_ci" in refused.value.message
