"""Errors the CLI and the DAGs report to people in one line."""


class LeakdetError(Exception):
    """A user-facing error: the message names the file, line and field where it can."""


class InputFileError(LeakdetError):
    def __init__(self, path, line: int | None, message: str):
        self.path, self.line = str(path), line
        where = f"{path}:{line}" if line is not None else f"{path}"
        super().__init__(f"{where}: {message}")
