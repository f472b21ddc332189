package io.glimpse.gateway.grpc;

import io.glimpse.common.error.GlimpseException;
import io.glimpse.proto.v1.EncoderReduction;
import io.glimpse.proto.v1.ModelInfo;
import io.glimpse.proto.v1.Pruning;

/**
 * What only the gateway sees whole: an encoder reduction and a pruning step that asks for more tokens than
 * the encoder will leave. Refused before any work, naming the stage (the tokenizer checks the schedule itself).
 */
final class EncoderReductionCheck {
    private EncoderReductionCheck() {
    }

    static void check(EncoderReduction r, Pruning p, ModelInfo m) {
        if (r.getMethod() == EncoderReduction.Method.NONE || r.getMethod() == EncoderReduction.Method.METHOD_UNSPECIFIED) {
            return;
        }
        int stages = m.getEncoderStageBlocksCount();
        if (stages < 2) {
            return;   // the tokenizer answers FAILED_PRECONDITION naming what the bundle lacks
        }
        int patches = m.getGridH() * m.getGridW();
        int lastStage;
        int leaves;
        if (r.getKeepPerStageCount() > 0) {
            lastStage = r.getKeepPerStageCount();
            leaves = r.getKeepPerStage(lastStage - 1);
        } else {
            lastStage = stages - 1;
            leaves = patches - r.getR() * lastStage;
        }
        boolean prunes = p.getMethod() != Pruning.Method.NONE && p.getMethod() != Pruning.Method.METHOD_UNSPECIFIED;
        if (leaves >= 1 && prunes && !p.getGlobalBudget() && p.getKeepTokens() > leaves) {
            throw GlimpseException.invalid("pruning keeps " + p.getKeepTokens() + " tokens per image but encoder_reduction "
                    + "leaves " + leaves + " after stage " + lastStage + " of " + stages + "; keep at most " + leaves
                    + " or reduce less in the encoder");
        }
    }
}
