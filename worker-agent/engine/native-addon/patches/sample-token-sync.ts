// llama-orch's patch to node-llama-cpp's addon (llama/addon), applied by `engine build --engine
// node-llama-cpp` after copying the addon's sources (addon-patches.ts). node-llama-cpp samples each
// generated token in a second libuv thread-pool job after the decode's job (AddonContext::SampleToken
// queues an AsyncWorker): a hand-off to a pool thread and a wake-up of the JS thread per token. The
// decode has finished by then and node-llama-cpp queues no other decode before the sampling settles, so
// the patch runs sampling without a grammar on the calling thread and returns a settled promise; with a
// grammar (whose cost grows with the vocabulary) it keeps the pool. LLORCH_NLC_SAMPLE_ASYNC=1 in the
// engine's environment restores the queued path (an A/B switch within one build).
// Kept as a string in a module, not a .diff file, so that the packaged worker (one bundled file)
// carries it; `git apply` reads it from a temporary file.
export const SAMPLE_TOKEN_SYNC_DIFF = String.raw`diff --git a/addon/AddonContext.cpp b/addon/AddonContext.cpp
--- a/addon/AddonContext.cpp
+++ b/addon/AddonContext.cpp
@@ -1,4 +1,6 @@
 #include <thread>
+#include <cstdlib>
+#include <string>
 #include <algorithm>
 #include <cmath>
 #include "common/common.h"
@@ -211,22 +213,47 @@ class AddonContextSampleTokenWorker : public Napi::AsyncWorker {
             return deferred.Promise();
         }
 
+        // llama-orch patch (sample-token-sync): runs the sampling on the calling (JS) thread and settles
+        // the promise before returning, instead of a second libuv thread-pool round trip after the decode.
+        void RunSync() {
+            runningSync = true;
+            Execute();
+            if (syncFailed) {
+                deferred.Reject(Napi::Error::New(Env(), syncError).Value());
+            } else {
+                OnOK();
+            }
+        }
+
     protected:
         Napi::Promise::Deferred deferred;
+        bool runningSync = false;
+        bool syncFailed = false;
+        std::string syncError;
+
+        // SetError only reaches OnError through the thread pool; run synchronously, the error is kept here.
+        void Fail(const std::string& message) {
+            if (runningSync) {
+                syncFailed = true;
+                syncError = message;
+            } else {
+                SetError(message);
+            }
+        }
 
         void Execute() {
             try {
                 SampleToken();
             } catch (const std::exception& e) {
-                SetError(e.what());
+                Fail(e.what());
             } catch(...) {
-                SetError("Unknown error when calling \"SampleToken\"");
+                Fail("Unknown error when calling \"SampleToken\"");
             }
         }
 
         void SampleToken() {
             if (llama_get_logits(ctx->ctx) == nullptr) {
-                SetError("This model does not support token generation");
+                Fail("This model does not support token generation");
                 return;
             }
 
@@ -317,9 +344,9 @@ class AddonContextSampleTokenWorker : public Napi::AsyncWorker {
                 sampler->acceptToken(new_token_id);
                 result = new_token_id;
             } catch (const std::exception& e) {
-                SetError(std::string("Failed to accept token in sampler: ") + e.what());
+                Fail(std::string("Failed to accept token in sampler: ") + e.what());
             } catch(...) {
-                SetError("Unknown error when calling \"acceptToken\"");
+                Fail("Unknown error when calling \"acceptToken\"");
             }
         }
         void OnOK() {
@@ -718,12 +745,36 @@ Napi::Value AddonContext::DecodeBatch(const Napi::CallbackInfo& info) {
     worker->Queue();
     return worker->GetPromise();
 }
+// llama-orch patch (sample-token-sync): node-llama-cpp calls sampleToken only after the batch's decode
+// has finished and before it queues the next one, so the logits are not being written. Sampling without a
+// grammar is a short pass over the logits; queuing it as a second AsyncWorker costs more (a thread-pool
+// hand-off and a main-thread wake-up per token) than running it here. A grammar can be slow over a large
+// vocabulary, so it keeps the thread pool. LLORCH_NLC_SAMPLE_ASYNC=1 restores the queued path for all.
+static bool sampleTokenAlwaysAsync() {
+    static const bool alwaysAsync = [] {
+        const char* value = std::getenv("LLORCH_NLC_SAMPLE_ASYNC");
+        return value != nullptr && std::string(value) == "1";
+    }();
+    return alwaysAsync;
+}
+
 Napi::Value AddonContext::SampleToken(const Napi::CallbackInfo& info) {
     AddonContextSampleTokenWorker* worker = new AddonContextSampleTokenWorker(info, this);
+    if (!sampleTokenAlwaysAsync() && worker->sampler->grammarEvaluationState == nullptr) {
+        worker->RunSync();
+        Napi::Promise promise = worker->GetPromise();
+        delete worker;
+        return promise;
+    }
     worker->Queue();
     return worker->GetPromise();
 }
 
+// llama-orch patch (sample-token-sync): lets a caller check that this build carries the patch.
+Napi::Value AddonContext::SampleTokenSyncPatch(const Napi::CallbackInfo& info) {
+    return Napi::Boolean::New(info.Env(), !sampleTokenAlwaysAsync());
+}
+
 Napi::Value AddonContext::GetEmbedding(const Napi::CallbackInfo& info) {
     if (disposed) {
         Napi::Error::New(info.Env(), "Context is disposed").ThrowAsJavaScriptException();
@@ -1175,6 +1226,7 @@ void AddonContext::init(Napi::Object exports) {
                 InstanceMethod("getSequenceKvCacheMaxPosition", &AddonContext::GetSequenceKvCacheMaxPosition),
                 InstanceMethod("decodeBatch", &AddonContext::DecodeBatch),
                 InstanceMethod("sampleToken", &AddonContext::SampleToken),
+                InstanceMethod("sampleTokenSyncPatch", &AddonContext::SampleTokenSyncPatch),
                 InstanceMethod("getEmbedding", &AddonContext::GetEmbedding),
                 InstanceMethod("getStateSize", &AddonContext::GetStateSize),
                 InstanceMethod("getMemoryBreakdown", &AddonContext::GetMemoryBreakdown),
diff --git a/addon/AddonContext.h b/addon/AddonContext.h
--- a/addon/AddonContext.h
+++ b/addon/AddonContext.h
@@ -48,6 +48,7 @@ class AddonContext : public Napi::ObjectWrap<AddonContext> {
         Napi::Value GetSequenceKvCacheMaxPosition(const Napi::CallbackInfo& info);
         Napi::Value DecodeBatch(const Napi::CallbackInfo& info);
         Napi::Value SampleToken(const Napi::CallbackInfo& info);
+        Napi::Value SampleTokenSyncPatch(const Napi::CallbackInfo& info);
 
         Napi::Value GetEmbedding(const Napi::CallbackInfo& info);
         Napi::Value GetStateSize(const Napi::CallbackInfo& info);
`;
