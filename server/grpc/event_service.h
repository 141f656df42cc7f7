// lift.v1.EventService over gRPC's callback API: converts requests to IngestService calls and
// results back; reactors finish from the ingest writer threads once rows are committed.
// Streams keep at most a few messages in flight, so a slow database slows the client (HTTP/2 flow
// control) instead of growing server memory. Thread-safe.
#ifndef LIFT_SERVER_GRPC_EVENT_SERVICE_H_
#define LIFT_SERVER_GRPC_EVENT_SERVICE_H_

#include "lift/v1/events.grpc.pb.h"
#include "server/ingest/ingest_service.h"

namespace lift {

class EventServiceImpl final : public lift::v1::EventService::CallbackService {
 public:
  explicit EventServiceImpl(ingest::IngestService* ingest) : ingest_(ingest) {}

  grpc::ServerUnaryReactor* LogExposures(grpc::CallbackServerContext* context,
                                         const lift::v1::LogExposuresRequest* request,
                                         lift::v1::LogResponse* response) override;
  grpc::ServerUnaryReactor* LogEvents(grpc::CallbackServerContext* context,
                                      const lift::v1::LogEventsRequest* request,
                                      lift::v1::LogResponse* response) override;
  grpc::ServerReadReactor<lift::v1::LogExposuresRequest>* StreamExposures(
      grpc::CallbackServerContext* context, lift::v1::LogResponse* response) override;
  grpc::ServerReadReactor<lift::v1::LogEventsRequest>* StreamEvents(
      grpc::CallbackServerContext* context, lift::v1::LogResponse* response) override;

 private:
  ingest::IngestService* ingest_;
};

}  // namespace lift

#endif  // LIFT_SERVER_GRPC_EVENT_SERVICE_H_
