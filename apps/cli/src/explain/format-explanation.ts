import { describeNeeds, type Explanation } from '@lock/selector';

/** What `lock run` would do for the same name, which asks for scope 'host' on top of the policy. */
export interface RunChoice {
  readonly chosen: string | undefined;
  readonly cluster: Explanation['cluster'];
  readonly unmet: readonly string[];
}

/** Renders an explanation as `lock explain` prints it: the choice, the needs, then every candidate with its reasons. */
export function formatExplanation(
  explanation: Explanation,
  configLine: string,
  runChoice: RunChoice,
): string {
  const lines: string[] = [];
  const chosen = explanation.candidates.find((candidate) => candidate.chosen);
  if (chosen === undefined) {
    lines.push(`lock ${JSON.stringify(explanation.name)}: no configured backend satisfies the needs`);
  } else {
    const clusters =
      chosen.clusters > 1 && explanation.cluster !== undefined
        ? `, cluster ${explanation.cluster.index + 1} of ${chosen.clusters} (${explanation.cluster.id})`
        : '';
    lines.push(`lock ${JSON.stringify(explanation.name)}: ${chosen.backend} (${chosen.kind})${clusters}`);
    if (explanation.movedFrom !== undefined) {
      lines.push(
        `migrating: the cluster-list change moves this name from previous cluster ${explanation.movedFrom.index + 1} (${explanation.movedFrom.id}); it is taken there first, then on its new cluster`,
      );
    }
  }
  lines.push(
    `policy: ${JSON.stringify(explanation.policy)}, needs ${describeNeeds(explanation.needs).join(', ')}`,
  );
  lines.push(`config: ${configLine}`);
  lines.push('', 'candidates, best first:');
  const width = Math.max(
    ...explanation.candidates.map((candidate) => `${candidate.backend} (${candidate.kind})`.length),
  );
  for (const candidate of explanation.candidates) {
    const label = `${candidate.backend} (${candidate.kind})`.padEnd(width);
    const verdict = candidate.qualifies
      ? candidate.reasons.join('; ')
      : `refused: ${candidate.reasons.join('; ')}`;
    lines.push(`  ${label}  ${verdict}`);
  }
  lines.push('');
  if (runChoice.chosen === undefined) {
    lines.push(
      `lock run adds scope >= host and would refuse this name: ${runChoice.unmet.join(', ')} unmet.`,
    );
  } else if (runChoice.chosen === explanation.chosen) {
    lines.push('lock run adds scope >= host and would use the same backend.');
  } else {
    lines.push(`lock run adds scope >= host and would use ${runChoice.chosen} instead.`);
  }
  return `${lines.join('\n')}\n`;
}
