package io.glimpse.common.methods;

import io.glimpse.proto.v1.Pruning;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Everything the system knows about one pruning method, in one place: what it needs, its
 * parameters with ranges and defaults, and a line of documentation. The gateway asks it what to
 * forward, the pruner what to accept, the CLI and the docs what to show.
 *
 * @param needs     what it reads (the gateway forwards ViT attention and keys only to methods
 *                  that need them; without them the pruner would fall back to another graph)
 * @param optional  needs the method can do without (a fallback that changes its result)
 */
public record MethodDescriptor(Pruning.Method method, String summary, Set<MethodNeed> needs, Set<MethodNeed> optional,
                               List<MethodParam> params) {
    public MethodDescriptor {
        needs = Set.copyOf(needs);
        optional = Set.copyOf(optional);
        params = List.copyOf(params);
    }

    public Set<String> paramNames() {
        return params.stream().map(MethodParam::name).collect(Collectors.toUnmodifiableSet());
    }

    public MethodParam param(String name) {
        return params.stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(method + " has no parameter " + name));
    }

    /** Whether it reads the ViT graph, as a requirement or as its preferred input. */
    public boolean readsVisionGraph() {
        return needs.contains(MethodNeed.VISION_ATTENTION) || needs.contains(MethodNeed.VISION_KEYS)
                || optional.contains(MethodNeed.VISION_ATTENTION) || optional.contains(MethodNeed.VISION_KEYS);
    }
}
