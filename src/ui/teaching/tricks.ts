/**
 * What each of TD3's three tricks does, its equation, what to watch for in the charts and what the paper
 * measured without it. Plain data: TrickExplainer shows it beside the switches, docs/tricks.md says the same.
 */

/** The four tasks of the paper's ablation (Table 2), in its column order. */
export const PAPER_TASKS = ['HalfCheetah', 'Hopper', 'Walker2d', 'Ant'] as const;
export type PaperTask = (typeof PAPER_TASKS)[number];

/** Returns as printed in the paper; strings, so trailing zeros (1520.90) are quoted exactly. */
export type PaperScores = Record<PaperTask, string>;

/**
 * The paper's Table 2, the ablation: mean return of the last 10 evaluations, over 10 seeds, after 1M steps.
 * Row names as printed, with the minus sign "−".
 */
export const PAPER_ABLATION = {
  TD3: { HalfCheetah: '9532.99', Hopper: '3304.75', Walker2d: '4565.24', Ant: '4185.06' },
  'TD3 − delayed policy': { HalfCheetah: '9590.65', Hopper: '2407.42', Walker2d: '4695.50', Ant: '3754.26' },
  'TD3 − target smoothing': {
    HalfCheetah: '8987.69',
    Hopper: '2392.59',
    Walker2d: '4033.67',
    Ant: '4155.24',
  },
  'TD3 − clipped double Q': { HalfCheetah: '9792.80', Hopper: '1837.32', Walker2d: '2579.39', Ant: '849.75' },
  'DDPG (original)': { HalfCheetah: '3162.50', Hopper: '1731.94', Walker2d: '1520.90', Ant: '816.35' },
} as const satisfies Record<string, PaperScores>;
export type AblationMethod = keyof typeof PAPER_ABLATION;

export const PAPER_ABLATION_CAPTION =
  'The paper’s Table 2: mean return of the last 10 evaluations, 10 seeds, 1M steps, on four MuJoCo tasks.';

export interface TrickLesson {
  title: string;
  /** What the trick does, for someone learning RL: every term explained where it first appears. */
  whatItDoes: string;
  /**
   * The equation as TeX for KaTeX, broken into lines that fit the sidebar. Always one of these constants,
   * never text from a user or a URL.
   */
  tex: string;
  /** The same equation in plain text, read out by screen readers. */
  equationInWords: string;
  /** What each symbol of the equation stands for. */
  symbols: string;
  /** What changes in the page's charts when the switch is flipped. */
  lookFor: string;
  /** The row of Table 2 set beside TD3's: TD3 with this trick removed. */
  paperRow: AblationMethod;
  /** How to read that row against TD3's. */
  paperSays: string;
}

export type TrickLessonId = 'twinCritics' | 'policyDelay' | 'targetSmoothing' | 'ddpg';

export const TRICK_LESSONS: Record<TrickLessonId, TrickLesson> = {
  twinCritics: {
    title: 'Twin critics: take the smaller of two guesses',
    whatItDoes:
      'The critic is a network that guesses Q(s, a): how much discounted reward the agent will collect if it ' +
      'takes action a in state s and follows its policy afterwards. It learns from its own guesses: the ' +
      'target for Q(s, a) is the reward plus the discounted guess for the next state. The actor (the policy ' +
      'network) seeks out the actions the critic rates highest, so it finds exactly the places where the ' +
      'critic guesses too high, and those errors are copied into the next targets and pile up: ' +
      'overestimation. With twin critics TD3 trains two critics side by side and builds the target from the ' +
      'smaller of their two guesses, so one critic’s optimism is not passed on. The actor still learns from ' +
      'the first critic alone.',
    tex: String.raw`\begin{aligned}
&y = r + \gamma\,(1 - \text{terminated}) \\
&\qquad \cdot \min_{i=1,2} Q'_{\theta'_i}(s', \tilde a')
\end{aligned}`,
    equationInWords: 'y = r + γ (1 − terminated) · min over i = 1, 2 of Q′θ′i(s′, ã′)',
    symbols:
      'y: the target both critics learn towards; r: the reward; γ: the discount, how much the future ' +
      'counts; terminated: 1 when the episode really ended (a time limit does not count); Q′θ′₁, Q′θ′₂: ' +
      'the target copies of the two critics; s′: the next state; ã′: the target actor’s action there.',
    lookFor:
      'Run with the switch on, then press Restart (same seed) with it off. In “Overestimation bias” the red ' +
      'line (estimate − true value) stays near zero, or a little below, with twin critics; without them it ' +
      'rises above zero and tends to keep growing. “Q estimate vs true value” shows the same gap as two ' +
      'lines, and in “Q values” mean Q1 climbs faster. The dashed “bias of Q1” line shows how optimistic one ' +
      'critic is even when the twins are on. On harder tasks “Return” can stall or collapse once the critic ' +
      'is too optimistic.',
    paperRow: 'TD3 − clipped double Q',
    paperSays:
      'The trick that mattered most: without it Hopper and Walker2d lost over 40 % and Ant fell to about ' +
      'DDPG’s level; on HalfCheetah the run without it even scored a little higher.',
  },
  policyDelay: {
    title: 'Delayed policy updates: let the critic settle first',
    whatItDoes:
      'The actor is the policy network: it learns to choose the actions the critic rates highest. If it ' +
      'moves every time the critic moves, it chases a critic that is still wrong, and the critic’s targets ' +
      'then shift under it. With delayed policy updates the critics are updated d times (d = 2 by default) ' +
      'for each actor update, so the actor follows a steadier critic. The target networks, slow copies of ' +
      'the actor and critics used to compute the targets, are updated only then too, by Polyak averaging: ' +
      'each update moves a copy a small fraction τ of the way towards the network it copies.',
    tex: String.raw`\begin{aligned}
&\text{every } d \text{ critic updates:} \\
&\quad \phi \leftarrow \phi + \alpha\, \nabla_\phi \tfrac{1}{N} \textstyle\sum Q_{\theta_1}(s, \pi_\phi(s)) \\
&\quad \theta'_i \leftarrow \tau\, \theta_i + (1 - \tau)\, \theta'_i \\
&\quad \phi' \leftarrow \tau\, \phi + (1 - \tau)\, \phi'
\end{aligned}`,
    equationInWords:
      'every d critic updates: φ ← φ + α ∇φ mean Q1(s, πφ(s)); θ′i ← τ θi + (1 − τ) θ′i; φ′ ← τ φ + (1 − τ) φ′',
    symbols:
      'd: the delay (policyDelay; 1 means no delay); φ: the actor’s weights; α: its learning rate (the step ' +
      'itself is taken by Adam); N: the batch size; Qθ₁: the first critic; θᵢ, θ′ᵢ: the critics and their ' +
      'target copies; φ′: the target actor; τ: how far a target moves each time (tau, 0.005 by default).',
    lookFor:
      'The effect is quieter than the twin critics’. In “Losses” the critic loss tends to be calmer with ' +
      'the delay, as its targets move half as often, and with d = 1 the “Q values” lines tend to wobble ' +
      'more. On easy tasks such as Pendulum “Return” changes little. Try a large d (policyDelay under ' +
      'Trick settings) to see the other extreme: the actor then learns slowly.',
    paperRow: 'TD3 − delayed policy',
    paperSays:
      'Without the delay Hopper lost about a quarter and Ant a tenth, while HalfCheetah and Walker2d scored ' +
      'slightly higher: one trick on its own is not always a gain.',
  },
  targetSmoothing: {
    title: 'Target policy smoothing: similar actions, similar values',
    whatItDoes:
      'The target for Q(s, a) uses the action the target actor would take in the next state. A critic can ' +
      'grow a narrow, wrong peak at exactly that action, and the actor will then exploit it. Target policy ' +
      'smoothing adds a little random noise to that action before the target critics rate it, clips the ' +
      'noise so the action stays close, and clips the result into the allowed action range. The target is ' +
      'then an average over a small neighbourhood of actions rather than one point, which teaches the critic ' +
      'that similar actions have similar values.',
    tex: String.raw`\begin{aligned}
\tilde a' &= \operatorname{clip}\big(\pi_{\phi'}(s') + \operatorname{clip}(\epsilon, -c, c), \\
&\qquad a_{\text{low}}, a_{\text{high}}\big) \\
\epsilon &\sim \mathcal{N}(0, \sigma^2)
\end{aligned}`,
    equationInWords: 'ã′ = clip(πφ′(s′) + clip(ε, −c, c), a_low, a_high), ε ~ N(0, σ²)',
    symbols:
      'ã′: the smoothed target action; πφ′: the target actor; ε: Gaussian noise, fresh for every sample; ' +
      'σ: its size (policyNoise, 0.2 by default); c: its clip (noiseClip, 0.5), both in units of half the action ' +
      'range; a_low, a_high: the action bounds.',
    lookFor:
      'Also quieter than the twin critics. Without smoothing the critic loss in “Losses” and the mean target ' +
      'y in “Q values” tend to be noisier, and runs with different seeds spread further apart in “Return”. ' +
      'One run seldom shows it clearly: compare over seeds in the Ablation lab. The noise size and clip are ' +
      'policyNoise and noiseClip under Trick settings.',
    paperRow: 'TD3 − target smoothing',
    paperSays:
      'Without smoothing every task scored lower: Hopper by over a quarter, Walker2d by about a tenth, ' +
      'HalfCheetah and Ant only a little.',
  },
  ddpg: {
    title: 'All three off: DDPG',
    whatItDoes:
      'With all three switches off the agent is DDPG (Deep Deterministic Policy Gradient), the method TD3 ' +
      'improves on: one critic, the actor and the target networks updated after every critic update, and ' +
      'the target action taken exactly as the target actor chooses it. Everything else (networks, learning ' +
      'rates, exploration noise) stays as TD3 has it, as in the authors’ own “OurDDPG”, so any difference ' +
      'comes from the three tricks.',
    tex: String.raw`\begin{aligned}
&y = r + \gamma\,(1 - \text{terminated}) \\
&\qquad \cdot Q'_{\theta'}(s', \pi_{\phi'}(s')) \\
&\text{actor and targets: every update}
\end{aligned}`,
    equationInWords: 'y = r + γ (1 − terminated) · Q′θ′(s′, πφ′(s′)); actor and targets: every update',
    symbols:
      'Q′θ′: the one critic’s target copy; πφ′(s′): the target actor’s action in the next state, without ' +
      'noise; the other symbols as for twin critics.',
    lookFor:
      'The effects add up: “Overestimation bias” climbs well above zero, “Q values” grow beyond what ' +
      '“Return” supports, and “Return” is noisier and often lower. On Pendulum DDPG often learns too; the ' +
      'tricks matter most on harder tasks.',
    paperRow: 'DDPG (original)',
    paperSays:
      'Far below TD3 on all four tasks. This row is the original DDPG, whose networks, learning rates and ' +
      'exploration noise also differ from TD3’s.',
  },
};
