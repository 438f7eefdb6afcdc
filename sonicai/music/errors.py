"""The one error the engine room raises for input it cannot work with (as opposed to a fault of its own)."""


class MusicInputError(ValueError):
    """This audio or these settings cannot be processed this way; ``str()`` says why, for the musician.

    A job that ends on one reports the sentence as it is, where any other exception is an internal error."""

    def sentence(self) -> str:
        text = str(self).strip()
        if not text:
            return "This audio or these settings cannot be processed."
        text = text[0].upper() + text[1:]
        return text if text.endswith((".", "!", "?")) else text + "."
