#include "server/grpc/audit_service.h"

#include "server/grpc/offload.h"

namespace lift {

grpc::ServerUnaryReactor* AuditServiceImpl::ListAuditEntries(
    grpc::CallbackServerContext* context, const v1::ListAuditEntriesRequest* request,
    v1::ListAuditEntriesResponse* response) {
  return Offload(
      *executor_, context,
      [this, request, response]() -> absl::Status {
        auth::AuditFilter filter;
        filter.since_micros = request->time_range().start_micros();
        filter.until_micros = request->time_range().end_micros();
        filter.actor = request->actor();
        filter.entity_type = request->entity_type();
        filter.entity_key = request->entity_key();
        absl::StatusOr<auth::AuditPage> page =
            log_->List(filter, request->page().page_size(), request->page().page_token());
        if (!page.ok()) return page.status();
        for (const auth::AuditEntryRecord& entry : page->entries) {
          v1::AuditEntry* proto = response->add_entries();
          proto->set_id(entry.id);
          proto->set_occurred_at_micros(entry.occurred_at_micros);
          proto->set_actor(entry.actor);
          proto->set_action(entry.action);
          proto->set_entity_type(entry.entity_type);
          proto->set_entity_key(entry.entity_key);
          proto->set_before_json(entry.before_json);
          proto->set_after_json(entry.after_json);
        }
        response->mutable_page()->set_next_page_token(page->next_page_token);
        return absl::OkStatus();
      },
      "audit requests");
}

}  // namespace lift
