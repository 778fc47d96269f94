"""The face: the only code that composes the rooms, prints, picks exit codes, or imports typer,
starlette, uvicorn, APScheduler or tomlkit."""
