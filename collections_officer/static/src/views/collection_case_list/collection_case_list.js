import { registry } from "@web/core/registry";
import { listView } from "@web/views/list/list_view";
import { ListController } from "@web/views/list/list_controller";

/** The worklist: the list of cases, with the meaning of its colours above the rows. */
export class CollectionCaseListController extends ListController {
    static template = "collections_officer.CollectionCaseListView";
}

export const collectionCaseListView = {
    ...listView,
    Controller: CollectionCaseListController,
};

registry.category("views").add("collection_case_list", collectionCaseListView);
