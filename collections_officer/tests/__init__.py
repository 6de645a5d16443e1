from . import (
    test_collection_case_constraints,
    test_collection_case_cron,
    test_collection_case_performance,
    test_collection_case_refresh,
    test_collection_case_security,
    test_collection_plan,
    test_collection_plan_allocation,
    test_collection_promise,
    test_collections_ui,
)
