"""What the three scheduled actions share when they enqueue their work."""

CHANNEL = "root.collections"
# States of a job still to come or under way: work enqueued again meanwhile would be
# done twice (queue_job's identity key alone lets a job that has started be enqueued
# again). A job waiting for others is not counted: it waits for ever when one of them
# failed, and the company's next scheduled run then enqueues its work again.
IN_PROGRESS = ("pending", "enqueued", "started")


def job_key(step, company, day):
    """The identity of a step's jobs for one company and local day."""
    return f"collections_officer:{step}:{company.id}:{day}"


def in_progress(env, key):
    """Whether jobs of ``key`` (or of keys below it) are still to come or under way."""
    return bool(
        env["queue.job"]
        .sudo()
        .search_count(
            [
                "|",
                ("identity_key", "=", key),
                ("identity_key", "=like", f"{key}:%"),
                ("state", "in", IN_PROGRESS),
            ],
            limit=1,
        )
    )
