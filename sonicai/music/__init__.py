"""The engine room: every framework-free audio and ML piece of SonicAI.

Plain functions and small classes over numpy/torch arrays with a progress callback
(``progress.Progress``); nothing here imports Django, Channels, Dramatiq or any app
(``make lint`` checks it). The apps wrap these engines in models, jobs and pages.
"""
