from . import collection_case
from . import collection_promise
from . import collection_run
