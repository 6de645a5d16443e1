{
    "name": "Collections Officer - Job Queue",
    "summary": "The nightly refresh, judging and follow-up run fan out into queue jobs "
    "per company and per batch, run by any number of workers.",
    "version": "19.0.1.1.0",
    "category": "Accounting/Accounting",
    "website": "https://github.com/collections-officer/collections_officer",
    "author": "Collections Officer contributors",
    "license": "LGPL-3",
    "depends": ["collections_officer", "queue_job"],
    "data": [
        "data/queue_job_channel_data.xml",
        "data/queue_job_function_data.xml",
    ],
    "auto_install": True,
}
