// Fault injection: 1,000 client-streaming uploads (StreamEvents) open at once, each having sent a
// message or two, then all dropped — half cancelled by the client (RST_STREAM), half by losing
// their TCP connections (a LatencyProxy between client and liftd closes them) — in a warm-up round
// and then kMeasuredRounds more.
//
// Asserted: every round, liftd committed each stream's messages while all 1,000 were open (so the
// server really held 1,000 live streams); liftd's resident memory after the last round is within
// kLeakTolerance of its memory after the warm-up round; liftd still answers Ping and a normal
// LogEvents afterwards.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lift/v1/events.grpc.pb.h"
#include "lift/v1/system.grpc.pb.h"
#include "tests/fault/fault_support.h"
#include "tests/support/latency_proxy.h"
#include "tests/support/liftd_process.h"

namespace lift {
namespace {

using testing::LiftdProcess;
using testing::WaitFor;

constexpr int kStreams = 1000;
constexpr int kChannels = 8;  // half direct, half through the proxy
constexpr int kRowsPerMessage = 2;
constexpr int kMeasuredRounds = 4;
constexpr int64_t kMiB = 1024 * 1024;
// What a leak would cost: liftd's RSS grows by ~16 MiB (24 -> 40 MiB, ~16 KiB per stream: call
// arena, HTTP/2 stream state, reactor, buffers) while the first 1,000 streams are open; once they
// end it stays there (malloc keeps the pages) and later rounds reuse that memory (measured after
// each round: 40.6, 40.9, 42.2, 42.1 MiB). Streams that were never released would add ~16 MiB per
// round, ~64 MiB over the measured rounds; one round's worth, 16 MiB, is far above the ~2 MiB of
// drift seen and far below what a per-stream leak adds.
constexpr int64_t kLeakTolerance = 16 * kMiB;

// Counts down to zero; Wait returns whether it got there within the patience.
class Latch {
 public:
  explicit Latch(int count) : count_(count) {}
  void CountDown() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--count_ == 0) zero_.notify_all();
  }
  bool Wait(std::chrono::seconds patience) {
    std::unique_lock<std::mutex> lock(mutex_);
    return zero_.wait_for(lock, patience, [&] { return count_ == 0; });
  }
  int count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  int count_;
};

// One upload kept open: writes its messages, then waits (no WritesDone) until cancelled or its
// connection is gone. `written` counts down after its last message was sent, `done` when the call
// ended (OnDone).
class OpenStream final : public grpc::ClientWriteReactor<v1::LogEventsRequest> {
 public:
  OpenStream(v1::EventService::Stub& stub, std::vector<v1::LogEventsRequest> messages,
             Latch* written, Latch* done)
      : messages_(std::move(messages)), written_(written), done_(done) {
    stub.async()->StreamEvents(&context_, &response_, this);
    StartWrite(&messages_[0]);
    StartCall();
  }

  void OnWriteDone(bool ok) override {
    if (ok && ++next_ < messages_.size()) {
      StartWrite(&messages_[next_]);
      return;
    }
    write_failed_ = !ok;
    written_->CountDown();
  }
  void OnDone(const grpc::Status& status) override {
    code_ = status.error_code();
    done_->CountDown();
  }

  void Cancel() { context_.TryCancel(); }
  grpc::StatusCode code() const { return code_; }
  bool write_failed() const { return write_failed_; }

 private:
  grpc::ClientContext context_;
  v1::LogResponse response_;
  std::vector<v1::LogEventsRequest> messages_;
  size_t next_ = 0;
  Latch* written_;
  Latch* done_;
  bool write_failed_ = false;
  grpc::StatusCode code_ = grpc::StatusCode::OK;
};

std::shared_ptr<grpc::Channel> NewChannel(const std::string& address, int index) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  args.SetInt("lift.test.channel", index);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

TEST(StreamChurnFaultTest, ThousandDroppedStreamsLeaveNoMemoryBehind) {
  testing::TempDir dir;
  auto postgres = testing::StartOwnPostgres(dir);
  ASSERT_TRUE(postgres.ok()) << postgres.status();
  const std::string connection_string = (*postgres)->ConnectionString();
  auto liftd = LiftdProcess::Start({"--database-url", (*postgres)->Url()});
  ASSERT_TRUE(liftd.ok()) << liftd.status();
  const pid_t pid = (*liftd)->pid();
  auto proxy = testing::LatencyProxy::Start((*liftd)->address());
  ASSERT_TRUE(proxy.ok()) << proxy.status();

  std::vector<int64_t> rss_after_round;
  if (auto rss = testing::ResidentSetBytes(pid); rss.ok()) {
    std::cout << "before the first round: liftd RSS " << *rss / 1024 << " KiB\n";
  }
  for (int round = 0; round <= kMeasuredRounds; ++round) {
    std::vector<std::shared_ptr<grpc::Channel>> channels;
    std::vector<std::unique_ptr<v1::EventService::Stub>> stubs;
    for (int c = 0; c < kChannels; ++c) {
      const bool proxied = c % 2 == 1;
      channels.push_back(
          NewChannel(proxied ? (*proxy)->address() : (*liftd)->address(), round * kChannels + c));
      stubs.push_back(v1::EventService::NewStub(channels.back()));
    }
    Latch written(kStreams);
    Latch done(kStreams);
    std::vector<std::unique_ptr<OpenStream>> streams;
    int64_t rows = 0;
    for (int s = 0; s < kStreams; ++s) {
      // Odd streams send two messages, even ones one.
      std::vector<v1::LogEventsRequest> messages;
      for (int m = 0; m <= s % 2; ++m) {
        messages.push_back(
            testing::EventBatch(absl::StrCat("r", round, "s", s, "m", m), kRowsPerMessage));
        rows += kRowsPerMessage;
      }
      streams.push_back(std::make_unique<OpenStream>(*stubs[s % kChannels], std::move(messages),
                                                     &written, &done));
    }
    ASSERT_TRUE(written.Wait(std::chrono::seconds(60)))
        << written.count() << " streams still writing in round " << round;
    for (const auto& stream : streams) ASSERT_FALSE(stream->write_failed());
    // All 1,000 are open and liftd commits each message it read.
    const std::string count_sql =
        absl::StrCat("SELECT count(*) FROM metric_events WHERE event_id LIKE 'r", round, "s%'");
    ASSERT_TRUE(WaitFor([&] { return testing::QueryCount(connection_string, count_sql) == rows; }))
        << "round " << round << ": " << testing::QueryCount(connection_string, count_sql) << " of "
        << rows << " rows committed";

    auto open_rss = testing::ResidentSetBytes(pid);
    ASSERT_TRUE(open_rss.ok()) << open_rss.status();

    // Drop them: cancel the direct ones, cut the connections of the proxied ones.
    for (int s = 0; s < kStreams; ++s) {
      if ((s % kChannels) % 2 == 0) streams[s]->Cancel();
    }
    EXPECT_GT((*proxy)->DropConnections(), 0);
    ASSERT_TRUE(done.Wait(std::chrono::seconds(60)))
        << done.count() << " streams not ended in round " << round;
    int64_t cancelled = 0;
    int64_t unavailable = 0;
    for (const auto& stream : streams) {
      if (stream->code() == grpc::StatusCode::CANCELLED) ++cancelled;
      if (stream->code() == grpc::StatusCode::UNAVAILABLE) ++unavailable;
    }
    EXPECT_EQ(cancelled + unavailable, kStreams) << "round " << round;
    streams.clear();
    stubs.clear();
    channels.clear();

    // Let liftd finish the calls it saw end, then measure.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto rss = testing::ResidentSetBytes(pid);
    ASSERT_TRUE(rss.ok()) << rss.status() << "\n" << (*liftd)->Output();
    rss_after_round.push_back(*rss);
    std::cout << "round " << round << ": " << cancelled << " cancelled, " << unavailable
              << " cut off; liftd RSS " << *open_rss / 1024 << " KiB with the streams open, "
              << *rss / 1024 << " KiB after\n";
  }
  EXPECT_LE(rss_after_round.back(), rss_after_round.front() + kLeakTolerance)
      << "RSS after warm-up " << rss_after_round.front() / kMiB << " MiB, after the last round "
      << rss_after_round.back() / kMiB << " MiB";

  // liftd still serves.
  auto channel = NewChannel((*liftd)->address(), -1);
  auto system = v1::SystemService::NewStub(channel);
  grpc::ClientContext ping_context;
  v1::PingRequest ping;
  v1::PingResponse pong;
  EXPECT_TRUE(system->Ping(&ping_context, ping, &pong).ok());
  auto events = v1::EventService::NewStub(channel);
  grpc::ClientContext context;
  v1::LogResponse response;
  const grpc::Status status =
      events->LogEvents(&context, testing::EventBatch("after", 100), &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.accepted(), 100);
  EXPECT_EQ((*liftd)->StopWith(SIGTERM), 0) << (*liftd)->Output();
}

}  // namespace
}  // namespace lift
