"""Template filters for the studio pages: musicians' spellings of keys, genres and times."""

from django import template

from audio import describe

register = template.Library()


@register.filter
def genre_label(value: str) -> str:
    return describe.genre_label(value)


@register.filter
def key_of(analysis: dict | None) -> str:
    """ "B♭ major" from a file's analysis."""
    return describe.analysis_key(analysis)


@register.filter
def song_title(name: str) -> str:
    """A song's name without its extension, as downloads are named."""
    return describe.song_title(name or "")


@register.filter
def job_label(job) -> str:
    """ "Stem separation", as every page names the job (Django's own label would be "Stem Separation")."""
    return describe.job_label(job.job_type, job.input_params)


@register.filter
def job_summary(job) -> str:
    return describe.job_summary(job)


@register.filter
def mmss(seconds) -> str:
    """3:07 for 187.2 s."""
    if seconds in (None, ""):
        return ""
    total = int(round(float(seconds)))
    return f"{total // 60}:{total % 60:02d}"


@register.filter
def ago(when) -> str:
    """ "just now" for the last minute (timesince said "0 minutes ago"), else "3 minutes ago"."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if when is None:
        return ""
    if (timezone.now() - when).total_seconds() < 60:
        return "just now"
    return f"{timesince(when)} ago"
