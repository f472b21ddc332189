package io.glimpse.runner.schedule;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The scheduler without a model: a fake executor runs each plan on a fake clock (a decode step
 * costs a fixed time plus a little per row; a prompt chunk costs a fixed time plus per token) and
 * ends a generation after its token limit.
 */
class StepSchedulerTest {
    private static final long MS = 1_000_000L;

    /** A generation's name and what the fake executor saw of it. */
    static final class Gen {
        final String name;
        final AtomicBoolean cancelled = new AtomicBoolean();
        final List<Long> tokenTimes = new ArrayList<>();
        StepPlan.Reason departed;
        boolean finished;

        Gen(String name) {
            this.name = name;
        }
    }

    /** Runs plans on a fake clock. */
    static final class FakeExecutor {
        long now;
        long stepFixed = 10 * MS;
        long stepPerRow = MS / 2;
        long chunkFixed = 8 * MS;
        long chunkPerToken = MS;
        final List<StepPlan<Gen>> plans = new ArrayList<>();

        StepPlan<Gen> run(StepScheduler<Gen> s) {
            StepPlan<Gen> plan = s.next();
            plans.add(plan);
            for (StepPlan.Departure<Gen> d : plan.departures()) {
                d.sequence().payload().departed = d.reason();
            }
            List<Sequence<Gen>> ended = new ArrayList<>();
            long decode = 0;
            if (!plan.decode().isEmpty()) {
                decode = stepFixed + stepPerRow * plan.decode().size();
                now += decode;
                for (Sequence<Gen> q : plan.decode()) {
                    q.payload().tokenTimes.add(now);
                    if (q.decoded() + 2 >= q.maxNewTokens()) {   // its first token came from the prefill
                        ended.add(q);
                    }
                }
            }
            long prefill = 0;
            if (plan.prefill() != null) {
                prefill = chunkFixed + chunkPerToken * plan.prefill().tokens();
                now += prefill;
                if (plan.prefill().last()) {
                    Sequence<Gen> q = plan.prefill().sequence();
                    q.payload().tokenTimes.add(now);
                    if (q.maxNewTokens() == 1) {
                        ended.add(q);
                    }
                }
            }
            for (Sequence<Gen> q : ended) {
                q.payload().finished = true;
            }
            s.completed(plan, ended, decode, prefill);
            return plan;
        }

        void runUntilIdle(StepScheduler<Gen> s, int maxSteps) {
            for (int i = 0; i < maxSteps && (s.waitingCount() > 0 || s.joinedCount() > 0); i++) {
                run(s);
            }
        }
    }

    private final FakeExecutor exec = new FakeExecutor();

    private StepScheduler<Gen> scheduler(int batch, long kv, int chunk) {
        return new StepScheduler<>(new StepScheduler.Limits(batch, kv, 0, chunk), () -> exec.now);
    }

    private Sequence<Gen> seq(String name, int prompt, int maxNew) {
        return seq(name, prompt, maxNew, Long.MAX_VALUE);
    }

    private Sequence<Gen> seq(String name, int prompt, int maxNew, long deadline) {
        Gen g = new Gen(name);
        return new Sequence<>(g, prompt, maxNew, deadline, g.cancelled::get);
    }

    @Test
    void joinsUpToTheBatchInArrivalOrderAndTheNextJoinsWhenOneLeaves() {
        StepScheduler<Gen> s = scheduler(2, 1_000_000, 0);
        Sequence<Gen> a = seq("a", 10, 3);
        Sequence<Gen> b = seq("b", 10, 6);
        Sequence<Gen> c = seq("c", 10, 2);
        s.submit(a);
        s.submit(b);
        s.submit(c);
        StepPlan<Gen> first = exec.run(s);
        assertEquals(a, first.prefill().sequence(), "the oldest prompt prefills first");
        assertEquals(10, first.prefill().tokens(), "nothing decodes yet: the whole prompt at once");
        assertEquals(Sequence.State.WAITING, c.state(), "the batch has two rows");
        assertEquals(1, s.waitingCount());
        StepPlan<Gen> second = exec.run(s);
        assertEquals(List.of(a), second.decode());
        assertEquals(b, second.prefill().sequence());
        exec.run(s);   // a decodes its last token
        assertTrue(a.payload().finished);
        assertEquals(Sequence.State.ENDED, a.state());
        exec.run(s);
        assertTrue(c.state() != Sequence.State.WAITING, "c joins the row a left");
        exec.runUntilIdle(s, 50);
        assertTrue(b.payload().finished && c.payload().finished);
        assertEquals(5, b.decoded(), "b took every token it was allowed: one from its prefill, five decode steps");
    }

    @Test
    void aFullSlabHoldsTheNextUntilRoomAndNoSmallerOneOvertakesIt() {
        // keys and values for 100 positions: a (60) fits, b (50) must wait for a, c (15) must wait behind b
        StepScheduler<Gen> s = scheduler(8, 100, 0);
        Sequence<Gen> a = seq("a", 40, 20);
        Sequence<Gen> b = seq("b", 30, 20);
        Sequence<Gen> c = seq("c", 10, 5);
        s.submit(a);
        s.submit(b);
        s.submit(c);
        exec.run(s);
        assertEquals(1, s.joinedCount());
        assertEquals(Sequence.State.WAITING, b.state());
        assertEquals(Sequence.State.WAITING, c.state(), "c would fit, but joining before b could starve b");
        while (a.state() != Sequence.State.ENDED) {
            exec.run(s);
            assertEquals(Sequence.State.WAITING, b.state());
        }
        exec.run(s);
        assertEquals(Sequence.State.DECODING, b.state());
        assertEquals(Sequence.State.PREFILLING, c.state(), "b (50) and c (15) fit together");
    }

    @Test
    void oneSequenceLargerThanTheWholeSlabStillRunsAlone() {
        StepScheduler<Gen> s = scheduler(4, 50, 0);
        Sequence<Gen> big = seq("big", 60, 4);
        s.submit(big);
        exec.runUntilIdle(s, 20);
        assertTrue(big.payload().finished, "refusing it would leave it waiting forever");
    }

    @Test
    void cancellationAtEveryPointFreesItsPlace() {
        StepScheduler<Gen> s = scheduler(2, 1_000_000, 4);
        Sequence<Gen> running = seq("running", 8, 50);
        Sequence<Gen> prompt = seq("prompt", 40, 5);
        Sequence<Gen> queued = seq("queued", 8, 5);
        s.submit(running);
        exec.run(s);   // running's prompt in one go
        s.submit(prompt);
        s.submit(queued);
        exec.run(s);   // running decodes, prompt's first chunk
        assertEquals(Sequence.State.PREFILLING, prompt.state());
        assertEquals(4, prompt.prefilled(), "chunks of four while another decodes");

        queued.payload().cancelled.set(true);          // while waiting
        StepPlan<Gen> p = exec.run(s);
        assertEquals(List.of(new StepPlan.Departure<>(queued, StepPlan.Reason.CANCELLED)), p.departures());

        prompt.payload().cancelled.set(true);          // mid-prompt
        p = exec.run(s);
        assertEquals(StepPlan.Reason.CANCELLED, prompt.payload().departed);
        assertNull(p.prefill(), "its remaining chunks never run");

        int before = running.decoded();
        running.payload().cancelled.set(true);         // decoding
        p = exec.run(s);
        assertTrue(p.decode().isEmpty());
        assertEquals(before, running.decoded());
        assertEquals(0, s.joinedCount());
        assertTrue(p.departures().stream().anyMatch(d -> d.sequence() == running));

        Sequence<Gen> next = seq("next", 8, 2);        // every row and position is free again
        s.submit(next);
        exec.runUntilIdle(s, 10);
        assertTrue(next.payload().finished);
    }

    @Test
    void aPassedDeadlineEndsItWhereverItIs() {
        StepScheduler<Gen> s = scheduler(1, 1_000_000, 4);
        Sequence<Gen> decoding = seq("decoding", 8, 1000, 200 * MS);
        Sequence<Gen> waiting = seq("waiting", 8, 5, 100 * MS);
        s.submit(decoding);
        s.submit(waiting);
        while (exec.now < 100 * MS) {
            exec.run(s);
        }
        exec.run(s);
        assertEquals(StepPlan.Reason.DEADLINE, waiting.payload().departed, "it never got a row before its deadline");
        assertEquals(Sequence.State.DECODING, decoding.state());
        while (exec.now < 200 * MS) {
            exec.run(s);
        }
        exec.run(s);
        assertEquals(StepPlan.Reason.DEADLINE, decoding.payload().departed);
        assertFalse(decoding.payload().finished);

        Sequence<Gen> prompt = seq("prompt", 400, 5, exec.now + 30 * MS);
        Sequence<Gen> other = seq("other", 8, 1000);
        s = scheduler(2, 1_000_000, 4);
        s.submit(other);
        exec.run(s);
        s.submit(prompt);
        while (prompt.state() != Sequence.State.ENDED) {
            exec.run(s);
        }
        assertEquals(StepPlan.Reason.DEADLINE, prompt.payload().departed, "between two of its chunks");
        assertTrue(prompt.prefilled() > 0 && prompt.prefilled() < 400);
    }

    @Test
    void manyShortAndFewLongAllFinishAndEveryJoinedOneStepsEachTime() {
        StepScheduler<Gen> s = scheduler(4, 1_000_000, 0);
        List<Sequence<Gen>> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Sequence<Gen> q = i % 10 == 0 ? seq("long" + i, 300, 120) : seq("short" + i, 20, 3 + i % 4);
            all.add(q);
            s.submit(q);
        }
        Map<Sequence<Gen>, Integer> joinedAt = new HashMap<>();
        for (int step = 0; step < 5000 && (s.waitingCount() > 0 || s.joinedCount() > 0); step++) {
            StepPlan<Gen> plan = exec.run(s);
            int live = 0;
            for (Sequence<Gen> q : all) {
                if (q.state() != Sequence.State.WAITING) {
                    joinedAt.putIfAbsent(q, step);
                }
                live += q.state() == Sequence.State.DECODING ? 1 : 0;
            }
            assertTrue(plan.decode().size() <= 4);
            assertTrue(s.joinedCount() <= 4);
        }
        for (Sequence<Gen> q : all) {
            assertTrue(q.payload().finished, q.payload().name + " finished");
        }
        for (int i = 1; i < all.size(); i++) {
            assertTrue(joinedAt.get(all.get(i - 1)) <= joinedAt.get(all.get(i)), "joined in arrival order");
        }
        // no one starves: while decoding, a sequence takes a token every step
        for (StepPlan<Gen> plan : exec.plans) {
            for (Sequence<Gen> q : plan.decode()) {
                assertEquals(Sequence.State.ENDED, q.state());
            }
        }
        for (Sequence<Gen> q : all) {
            List<Long> t = q.payload().tokenTimes;
            assertEquals(q.maxNewTokens(), t.size(), q.payload().name + ": one token per step, up to its limit");
        }
    }

    @Test
    void chunksCostAboutOneStepSoRunningStreamsKeepTheirPace() {
        StepScheduler<Gen> s = scheduler(8, 1_000_000, 0);
        exec.chunkFixed = 2 * MS;
        exec.chunkPerToken = MS / 4;   // a 576-token prompt costs 146 ms at once: 14 steps of 10.5 ms
        List<Sequence<Gen>> streams = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Sequence<Gen> q = seq("stream" + i, 16, 400);
            streams.add(q);
            s.submit(q);
        }
        for (int i = 0; i < 20; i++) {
            exec.run(s);
        }
        long steady = exec.stepFixed + 3 * exec.stepPerRow;
        List<Integer> chunks = new ArrayList<>();
        long learned = 0;   // after the first arrival, whose chunks measure what a token costs
        for (int a = 0; a < 4; a++) {
            if (a == 1) {
                learned = exec.now;
            }
            Sequence<Gen> prompt = seq("arrival" + a, 576, 1);
            s.submit(prompt);
            while (!prompt.payload().finished) {
                StepPlan<Gen> p = exec.run(s);
                if (p.prefill() != null) {
                    chunks.add(p.prefill().tokens());
                }
            }
        }
        List<Long> gaps = new ArrayList<>();
        for (Sequence<Gen> q : streams) {
            List<Long> t = q.payload().tokenTimes;
            for (int i = 2; i < t.size(); i++) {
                if (t.get(i - 1) >= learned) {
                    gaps.add(t.get(i) - t.get(i - 1));
                }
            }
        }
        gaps.sort(null);
        long p99 = gaps.get((int) Math.ceil(0.99 * gaps.size()) - 1);
        long worst = gaps.get(gaps.size() - 1);
        assertTrue(p99 <= 2 * steady, "p99 gap " + p99 / 1e6 + " ms against a step of " + steady / 1e6 + " ms");
        assertTrue(worst <= 2.1 * steady, "the longest gap " + worst / 1e6 + " ms: a probe overshoots by little");
        int settled = chunks.stream().sorted().toList().get(chunks.size() / 2);
        // a chunk aims at 0.9 of a step: (0.9 * 11.5 ms - 2 ms fixed) / 0.25 ms per token ~ 33, probed from the chunks run
        assertTrue(settled >= 26 && settled <= 40, "chunks settle near a step's worth of tokens: " + chunks);
    }

    @Test
    void aPrefillLaneRunsChunksBesideTheBatchAndACancelledPromptLeavesWhenItsChunkEnds() {
        StepScheduler<Gen> s = new StepScheduler<>(new StepScheduler.Limits(4, 1_000_000, 1, 0), () -> exec.now);
        Sequence<Gen> a = seq("a", 1200, 3);
        Sequence<Gen> b = seq("b", 20, 3);
        s.submit(a);
        s.submit(b);
        StepPlan<Gen> step = s.next();
        assertNull(step.prefill(), "the decode lane runs no chunk when lanes do");
        StepPlan.PrefillChunk<Gen> first = s.nextChunk();
        assertEquals(a, first.sequence());
        assertEquals(StepScheduler.LANE_CHUNK, first.tokens());
        StepPlan.PrefillChunk<Gen> other = s.nextChunk();
        assertEquals(b, other.sequence(), "a second lane takes the next prompt, not a's next chunk");
        s.chunkDone(other, false);
        assertEquals(Sequence.State.DECODING, b.state());
        assertEquals(List.of(b), s.next().decode(), "b decodes while a's chunk runs");

        a.payload().cancelled.set(true);
        assertTrue(s.next().departures().isEmpty(), "a's chunk still runs: its memory is in use");
        s.chunkDone(first, false);
        assertEquals(List.of(new StepPlan.Departure<>(a, StepPlan.Reason.CANCELLED)), s.next().departures());
        assertNull(s.nextChunk());
        assertEquals(1, s.joinedCount());
    }

    @Test
    void withNothingDecodingAPromptRunsAtOnceAndAFixedChunkIsHonoured() {
        StepScheduler<Gen> s = scheduler(4, 1_000_000, 50);
        Sequence<Gen> alone = seq("alone", 576, 10);
        s.submit(alone);
        assertEquals(576, exec.run(s).prefill().tokens());
        Sequence<Gen> second = seq("second", 576, 1);
        s.submit(second);
        List<Integer> sizes = new ArrayList<>();
        while (!second.payload().finished) {
            StepPlan<Gen> p = exec.run(s);
            if (p.prefill() != null) {
                sizes.add(p.prefill().tokens());
            }
        }
        assertEquals(50, sizes.get(0));
        assertEquals(576, sizes.stream().mapToInt(Integer::intValue).sum(), "every prompt token runs exactly once");
    }
}
