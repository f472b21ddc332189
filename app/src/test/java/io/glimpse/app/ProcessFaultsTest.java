package io.glimpse.app;

import com.google.protobuf.ByteString;
import io.glimpse.model.onnx.OrtSessionFactory;
import io.glimpse.common.server.ServerConfig;
import io.glimpse.common.server.ServiceHost;
import io.glimpse.gateway.GatewayServer;
import io.glimpse.gateway.chain.BackendTargets;
import io.glimpse.gateway.chain.GatewayLimits;
import io.glimpse.gateway.discovery.StaticDiscovery;
import io.glimpse.proto.v1.GenerateEvent;
import io.glimpse.proto.v1.GenerateRequest;
import io.glimpse.proto.v1.Generation;
import io.glimpse.proto.v1.GlimpseGrpc;
import io.glimpse.proto.v1.Image;
import io.glimpse.proto.v1.ImageTokenizerGrpc;
import io.glimpse.proto.v1.TokenizeRequest;
import io.glimpse.proto.v1.TokenizeResponse;
import io.glimpse.proto.v1.VlmRunnerGrpc;
import io.glimpse.pruner.PrunerServer;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.opencv.core.CvType;
import org.opencv.core.Mat;
import org.opencv.core.MatOfByte;
import org.opencv.core.Scalar;
import org.opencv.imgcodecs.Imgcodecs;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Faults that need real processes: SIGTERM mid-stream, kill -9 under load, a heap as small as a container's. */
class ProcessFaultsTest {
    static ManagedChannel channel(String target) {
        return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).maxInboundMessageSize(64 << 20).build();
    }

    /**
     * SIGTERM to a runner process while it streams: every stream already running or queued
     * completes in full, then the process exits with status 0 (no SIGSEGV from native teardown).
     */
    @Test
    void runnerDrainsOnSigtermMidStream() throws Exception {
        try (ServiceProcess runner = ServiceProcess.start("runner", "256m", "--drain-seconds", "30")) {
            ManagedChannel ch = channel(runner.target());
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                GenerateRequest long240 = GenerateRequest.newBuilder().setQuestion("what color is the square ?")
                        .setGeneration(Generation.newBuilder().setMaxNewTokens(240).setMinNewTokens(240)).build();
                AtomicInteger started = new AtomicInteger();
                List<Future<Integer>> streams = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    streams.add(pool.submit(() -> {
                        Iterator<GenerateEvent> events = VlmRunnerGrpc.newBlockingStub(ch)
                                .withDeadlineAfter(60, TimeUnit.SECONDS).generate(long240);
                        boolean first = true;
                        while (events.hasNext()) {
                            GenerateEvent e = events.next();
                            if (first) {
                                started.incrementAndGet();
                                first = false;
                            }
                            if (e.hasDone()) {
                                return e.getDone().getGeneratedTokens();
                            }
                        }
                        return -1;
                    }));
                }
                while (started.get() < 2) {
                    Thread.sleep(1);
                }
                runner.process.destroy();   // SIGTERM
                for (Future<Integer> f : streams) {
                    assertEquals(240, f.get(60, TimeUnit.SECONDS), "the stream completed in full\n" + runner.output());
                }
                assertTrue(runner.process.waitFor(30, TimeUnit.SECONDS), "the process exits after draining");
                assertEquals(0, runner.process.exitValue(), "clean exit, no native crash:\n" + runner.output());
                assertFalse(runner.output().contains("SIGSEGV"), runner.output());
            } finally {
                pool.shutdownNow();
                ch.shutdownNow();
            }
        }
    }

    /**
     * Two runner and two tokenizer processes behind one gateway; one of each is killed with -9
     * under load. No Ask fails: Tokenize is retried by gRPC's retry policy, Generate by the
     * gateway on the other replica (nothing had been sent to these unary callers).
     */
    @Test
    void killingAReplicaUnderLoadLosesNoRequest() throws Exception {
        ServiceProcess r1 = ServiceProcess.start("runner", "256m");
        ServiceProcess r2 = ServiceProcess.start("runner", "256m");
        ServiceProcess t1 = ServiceProcess.start("tokenizer", "256m");
        ServiceProcess t2 = ServiceProcess.start("tokenizer", "256m");
        ServiceHost pruner = PrunerServer.start(new PrunerServer.Config(8, StackFixture.bundle(), OrtSessionFactory.cpu(),
                ServerConfig.tcp(0)), List.of());
        ServiceHost gateway = GatewayServer.start(new GatewayServer.Config(new BackendTargets(
                t1.target() + "," + t2.target(), "127.0.0.1:" + pruner.port(), r1.target() + "," + r2.target()),
                GatewayLimits.defaults(), ServerConfig.tcp(0), new StaticDiscovery()), List.of());
        ManagedChannel ch = channel("127.0.0.1:" + gateway.port());
        ExecutorService clients = Executors.newFixedThreadPool(4);
        try {
            ExampleSet.Example e = StackFixture.examples().examples().get(2);
            var ask = StackFixture.ask(e).setGeneration(Generation.newBuilder().setMaxNewTokens(24).setMinNewTokens(24)).build();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger ok = new AtomicInteger();
            List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Future<?>> running = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                running.add(clients.submit(() -> {
                    while (!stop.get()) {
                        try {
                            GlimpseGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS).ask(ask);
                            ok.incrementAndGet();
                        } catch (StatusRuntimeException x) {
                            failures.add(x.getStatus().toString());
                        }
                    }
                }));
            }
            while (ok.get() < 20) {
                Thread.sleep(10);
            }
            r1.kill();
            t1.kill();
            int atKill = ok.get();
            while (ok.get() < atKill + 40) {
                Thread.sleep(10);
            }
            stop.set(true);
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertTrue(failures.isEmpty(), failures.size() + " of " + (ok.get() + failures.size()) + " Asks failed: "
                    + failures.subList(0, Math.min(5, failures.size())));
        } finally {
            clients.shutdownNow();
            ch.shutdownNow();
            gateway.close();
            pruner.close();
            for (ServiceProcess p : List.of(r1, r2, t1, t2)) {
                p.close();
            }
        }
    }

    /**
     * A tokenizer with a 160 MiB heap (far below two requests' worth of decoded full-size images)
     * serves concurrent requests of the largest images its limits allow: each image is decoded
     * natively, reduced to the encoder's input and released before the next.
     */
    @Test
    void tokenizerServesTheLargestImagesInASmallHeap() throws Exception {
        io.glimpse.tokenizer.image.ImageDecoder.openCvVersion();
        Mat m = new Mat(4096, 4096, CvType.CV_8UC3, new Scalar(40, 160, 220));
        MatOfByte png = new MatOfByte();
        Imgcodecs.imencode(".png", m, png);
        m.release();
        ByteString big = ByteString.copyFrom(png.toArray());
        png.release();
        try (ServiceProcess tok = ServiceProcess.start("tokenizer", "160m")) {
            ManagedChannel ch = channel(tok.target());
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                TokenizeRequest r = TokenizeRequest.newBuilder().addImages(Image.newBuilder().setData(big))
                        .addImages(Image.newBuilder().setData(big)).build();
                List<Future<TokenizeResponse>> calls = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    calls.add(pool.submit(() -> ImageTokenizerGrpc.newBlockingStub(ch)
                            .withDeadlineAfter(60, TimeUnit.SECONDS).tokenize(r)));
                }
                for (Future<TokenizeResponse> f : calls) {
                    TokenizeResponse resp = f.get(90, TimeUnit.SECONDS);
                    assertEquals(2, resp.getImagesCount());
                    assertEquals(4096, resp.getImages(0).getReport().getImageWidth());
                }
                assertTrue(tok.process.isAlive(), tok.output());
                assertFalse(tok.output().contains("OutOfMemoryError"), tok.output());
            } finally {
                pool.shutdownNow();
                ch.shutdownNow();
            }
        }
    }
}
