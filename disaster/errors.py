"""User-facing errors of the disaster engine (one line, naming file, line and field where it can)."""


class DisasterError(Exception):
    pass


class FeedFileError(DisasterError):
    def __init__(self, path, line: int | None, message: str):
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
