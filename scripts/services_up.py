"""Exit 0 when the PostgreSQL and Redis given as URLs both answer (used by `make test`)."""

import sys

import psycopg
import redis


def main(db_url: str, redis_url: str) -> int:
    try:
        psycopg.connect(db_url.replace("postgres://", "postgresql://", 1), connect_timeout=3).close()
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as exc:
        print(f"service check failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
