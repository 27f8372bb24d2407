"""WSGI entry of the benchmark: the product as deployed, plus the bare baseline under /bench/.

`gunicorn bench.wsgi:application` serves both from the same workers, so the baseline and the
endpoints share processes, database connections and machine; one prefix test picks the handler.
"""

from config.wsgi import application as product  # sets Django up


def _bare_handler():
    from bench.baseline import BareHandler  # needs the apps loaded

    return BareHandler()


bare = _bare_handler()


def application(environ, start_response):
    if environ.get("PATH_INFO", "").startswith("/bench/"):
        return bare(environ, start_response)
    return product(environ, start_response)
