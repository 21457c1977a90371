"""The accuracy suite: Launch Ready against real open-source APIs whose flaws are published.

Each app has a module here that starts it on loopback from a source directory you give it
(the suite never downloads or commits an app's code), writes its app.yaml, and an
expectation file that says, check by check, which status is right and why (citing the app's
own list of flaws). `python -m bench.accuracy` runs Launch Ready twice per app, holds every
status against its expectation, prints a confusion table per app and writes it to
BENCHMARKS.md. It is not part of the test suite: the apps install their own dependencies.
"""
