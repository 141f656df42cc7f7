#include "server/grpc/event_service.h"

#include <mutex>

#include "server/grpc_status.h"

namespace lift {
namespace {

// Rejections listed in one response at most (all are counted in rejected_count).
constexpr int kMaxListedRejections = 1000;
// Stream messages submitted but not yet committed, per stream.
constexpr int kMaxMessagesInFlight = 4;

void AddResult(const ingest::LogResult& result, int message_index, lift::v1::LogResponse* response) {
  response->set_accepted(response->accepted() + result.counts.accepted);
  response->set_duplicates(response->duplicates() + result.counts.duplicates);
  response->set_rejected_count(response->rejected_count() +
                               static_cast<int64_t>(result.rejections.size()));
  for (const auto& rejection : result.rejections) {
    if (response->rejected_size() >= kMaxListedRejections) break;
    auto* row = response->add_rejected();
    row->set_index(rejection.index);
    row->set_message_index(message_index);
    row->set_field(rejection.field);
    row->set_reason(rejection.reason);
  }
}

// Client-streaming upload: reads a message, submits it, reads the next while fewer than
// kMaxMessagesInFlight are uncommitted; finishes when the client is done and all are committed,
// or with the first error (after the in-flight messages settle). State changes happen under the
// mutex; StartRead and Finish are called after releasing it.
template <typename Request>
class UploadReactor final : public grpc::ServerReadReactor<Request> {
 public:
  using SubmitFn = std::function<void(const Request&, ingest::IngestService::Done)>;

  UploadReactor(SubmitFn submit, lift::v1::LogResponse* response)
      : submit_(std::move(submit)), response_(response) {
    reading_ = true;
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    std::unique_lock<std::mutex> lock(mutex_);
    reading_ = false;
    if (!ok) {
      client_done_ = true;
      Act(lock);
      return;
    }
    if (!error_.ok()) {
      Act(lock);
      return;
    }
    const int message_index = messages_++;
    ++in_flight_;
    Request request = std::move(request_);
    lock.unlock();
    submit_(request, [this, message_index](const absl::Status& status, ingest::LogResult result) {
      OnCommitted(message_index, status, std::move(result));
    });
    lock.lock();
    Act(lock);
  }

  void OnDone() override { delete this; }

 private:
  void OnCommitted(int message_index, const absl::Status& status, ingest::LogResult result) {
    std::unique_lock<std::mutex> lock(mutex_);
    --in_flight_;
    if (status.ok()) {
      AddResult(result, message_index, response_);
    } else if (error_.ok()) {
      error_ = status;
    }
    Act(lock);
  }

  // Decides (under the lock) whether to read on or to finish, then does it unlocked.
  void Act(std::unique_lock<std::mutex>& lock) {
    bool read = false;
    bool finish = false;
    if (!finished_ && !reading_ && !client_done_ && error_.ok() &&
        in_flight_ < kMaxMessagesInFlight) {
      reading_ = true;
      read = true;
    } else if (!finished_ && !reading_ && in_flight_ == 0 && (client_done_ || !error_.ok())) {
      finished_ = true;
      finish = true;
    }
    const absl::Status error = error_;
    lock.unlock();
    if (read) this->StartRead(&request_);
    if (finish) this->Finish(ToGrpcStatus(error));
  }

  SubmitFn submit_;
  lift::v1::LogResponse* response_;
  std::mutex mutex_;
  Request request_;
  bool reading_ = false;
  bool client_done_ = false;
  bool finished_ = false;
  int in_flight_ = 0;
  int messages_ = 0;
  absl::Status error_;
};

}  // namespace

grpc::ServerUnaryReactor* EventServiceImpl::LogExposures(
    grpc::CallbackServerContext* context, const lift::v1::LogExposuresRequest* request,
    lift::v1::LogResponse* response) {
  auto* reactor = context->DefaultReactor();
  ingest_->LogExposures(*request, [reactor, response](const absl::Status& status,
                                                      ingest::LogResult result) {
    if (status.ok()) AddResult(result, 0, response);
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

grpc::ServerUnaryReactor* EventServiceImpl::LogEvents(grpc::CallbackServerContext* context,
                                                      const lift::v1::LogEventsRequest* request,
                                                      lift::v1::LogResponse* response) {
  auto* reactor = context->DefaultReactor();
  ingest_->LogEvents(*request, [reactor, response](const absl::Status& status,
                                                   ingest::LogResult result) {
    if (status.ok()) AddResult(result, 0, response);
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

grpc::ServerReadReactor<lift::v1::LogExposuresRequest>* EventServiceImpl::StreamExposures(
    grpc::CallbackServerContext*, lift::v1::LogResponse* response) {
  ingest::IngestService* ingest = ingest_;
  return new UploadReactor<lift::v1::LogExposuresRequest>(
      [ingest](const lift::v1::LogExposuresRequest& request, ingest::IngestService::Done done) {
        ingest->LogExposures(request, std::move(done));
      },
      response);
}

grpc::ServerReadReactor<lift::v1::LogEventsRequest>* EventServiceImpl::StreamEvents(
    grpc::CallbackServerContext*, lift::v1::LogResponse* response) {
  ingest::IngestService* ingest = ingest_;
  return new UploadReactor<lift::v1::LogEventsRequest>(
      [ingest](const lift::v1::LogEventsRequest& request, ingest::IngestService::Done done) {
        ingest->LogEvents(request, std::move(done));
      },
      response);
}

}  // namespace lift
