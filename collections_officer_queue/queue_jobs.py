"""What the three scheduled actions share when they enqueue their work."""

from odoo import fields
from odoo.addons.queue_job.delay import chain, group

CHANNEL = "root.collections"
# States of a job still to come or under way: work enqueued again meanwhile would be
# done twice (queue_job's identity key alone lets a job that has started be enqueued
# again). A job waiting for others is not counted: it waits for ever when one of them
# failed, and the company's next scheduled call then cancels it and enqueues what is
# left of the work again (see ``cancel_stranded``).
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


def cancel_stranded(env, key):
    """Cancel the jobs of ``key`` (or of keys below it) still waiting for others, when
    none of them is to come or under way any more (see ``in_progress``): one they wait
    for failed, or its worker died between its end and the call of those waiting for
    it, so they would wait for ever. The caller enqueues the step's work again (only
    what is still left: the jobs check what they do), with a new last job."""
    stranded = (
        env["queue.job"]
        .sudo()
        .search(
            [
                "|",
                ("identity_key", "=", key),
                ("identity_key", "=like", f"{key}:%"),
                ("state", "=", "wait_dependencies"),
            ]
        )
    )
    if stranded:
        stranded.write(
            {
                "state": "cancelled",
                "date_cancelled": fields.Datetime.now(),
                "result": env._(
                    "Cancelled: a job it waited for failed; its work is enqueued again."
                ),
            }
        )
    return stranded


def fan_out(batches, finished):
    """Enqueue the delayable ``finished`` once every delayable of ``batches`` is done
    (at once when there is none)."""
    if batches:
        chain(group(*batches), finished).delay()
    else:
        finished.delay()
