"""The reference for `npm run bench`: the same TD3 update as src/rl/td3.ts, in PyTorch on the CPU (or, with
--device cuda on a machine with a GPU, on the GPU, for comparison with tfjs's webgpu there).

One update = target actor + both target critics (with target policy smoothing and clipped double Q), both
critics' MSE + one Adam step, and every 2nd update the actor loss -mean Q1(s, pi(s)) + Adam + Polyak on the
three target networks. Nets hidden-hidden ReLU, the actor's output tanh-scaled; PyTorch's default init.

Usage: /usr/bin/python3 bench/torch_td3.py --cases 3x1,17x6,3x1x64x128 --batch 256 --hidden 256 \
       --updates 200 --repeats 3 --warmup 20 [--threads 1] [--device cpu|cuda]
A case is OBSxACT or OBSxACTxHIDDENxBATCH (the defaults come from --hidden and --batch).
With --population 1,5,20 it times instead, for the first case, that many TD3 agents as one batched
population (weights [N, in, out], torch.baddbmm; src/rl/population.ts in tfjs): updates/s in total.
Prints one JSON object on stdout; {"available": false, ...} where torch, or CUDA when asked for, is missing.
"""

import argparse
import copy
import json
import platform
import statistics
import sys
import time


def loaded_blas() -> str:
    """The BLAS library this process loaded (Debian's torch uses whichever libblas.so.3 is selected)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "blas" in line.lower() and "/" in line}
        return ", ".join(sorted(paths)) or "unknown"
    except OSError:
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="3x1,17x6", help="OBSxACT[xHIDDENxBATCH], comma separated")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--updates", type=int, default=200, help="timed updates per repeat")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--population", default="", help="N,N,...: batched populations of N agents")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda: the update on the GPU")
    args = parser.parse_args()

    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError as error:
        print(json.dumps({"available": False, "error": f"torch not importable: {error}",
                          "python": platform.python_version()}))
        return 0

    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print(json.dumps({"available": False, "error": f"no CUDA device (torch {torch.__version__})",
                          "python": platform.python_version()}))
        return 0
    on_gpu = device.type == "cuda"
    # The GPU works asynchronously: a timed stretch ends when the device has finished it.
    finish = torch.cuda.synchronize if on_gpu else (lambda: None)
    device_name = torch.cuda.get_device_name(device) if on_gpu else platform.processor() or "cpu"

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    class Actor(nn.Module):
        def __init__(self, obs, act, hidden):
            super().__init__()
            self.l1 = nn.Linear(obs, hidden)
            self.l2 = nn.Linear(hidden, hidden)
            self.l3 = nn.Linear(hidden, act)

        def forward(self, s):
            return torch.tanh(self.l3(F.relu(self.l2(F.relu(self.l1(s))))))

    class Critic(nn.Module):
        """Two independent Q networks in one module, as the authors' code holds them."""

        def __init__(self, obs, act, hidden):
            super().__init__()
            self.l1 = nn.Linear(obs + act, hidden)
            self.l2 = nn.Linear(hidden, hidden)
            self.l3 = nn.Linear(hidden, 1)
            self.l4 = nn.Linear(obs + act, hidden)
            self.l5 = nn.Linear(hidden, hidden)
            self.l6 = nn.Linear(hidden, 1)

        def forward(self, s, a):
            sa = torch.cat([s, a], 1)
            q1 = self.l3(F.relu(self.l2(F.relu(self.l1(sa)))))
            q2 = self.l6(F.relu(self.l5(F.relu(self.l4(sa)))))
            return q1, q2

        def q1(self, s, a):
            sa = torch.cat([s, a], 1)
            return self.l3(F.relu(self.l2(F.relu(self.l1(sa)))))

    def random_batches(lead: tuple, obs: int, act: int) -> list:
        """A few random minibatches, cycled (the update is what is timed, not the sampling)."""
        return [
            tuple(t.to(device) for t in (
                torch.rand(*lead, obs) * 2 - 1, torch.rand(*lead, act) * 2 - 1, torch.randn(*lead, 1),
                torch.rand(*lead, obs) * 2 - 1, (torch.rand(*lead, 1) > 0.05).float()))
            for _ in range(8)
        ]

    def rates_of(update, agents: int = 1) -> list:
        """Updates/s (times `agents`, for a population) of each timed repeat, after the warm-up."""
        for _ in range(args.warmup):
            update()
        finish()
        rates = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            for _ in range(args.updates):
                update()
            finish()
            rates.append(agents * args.updates / (time.perf_counter() - start))
        return rates

    def measure(obs: int, act: int, hidden: int, n: int) -> dict:
        actor = Actor(obs, act, hidden).to(device)
        actor_target = copy.deepcopy(actor)
        critic = Critic(obs, act, hidden).to(device)
        critic_target = copy.deepcopy(critic)
        actor_opt = torch.optim.Adam(actor.parameters(), lr=3e-4)
        critic_opt = torch.optim.Adam(critic.parameters(), lr=3e-4)
        discount, tau, policy_noise, noise_clip, delay = 0.99, 0.005, 0.2, 0.5, 2
        batches = random_batches((n,), obs, act)
        total_it = 0

        def update() -> None:
            nonlocal total_it
            s, a, r, s2, not_done = batches[total_it % len(batches)]
            total_it += 1
            with torch.no_grad():
                noise = (torch.randn_like(a) * policy_noise).clamp(-noise_clip, noise_clip)
                next_action = (actor_target(s2) + noise).clamp(-1, 1)
                tq1, tq2 = critic_target(s2, next_action)
                target_q = r + not_done * discount * torch.min(tq1, tq2)
            q1, q2 = critic(s, a)
            critic_loss = F.mse_loss(q1, target_q) + F.mse_loss(q2, target_q)
            critic_opt.zero_grad()
            critic_loss.backward()
            critic_opt.step()
            if total_it % delay == 0:
                actor_loss = -critic.q1(s, actor(s)).mean()
                actor_opt.zero_grad()
                actor_loss.backward()
                actor_opt.step()
                for p, tp in zip(critic.parameters(), critic_target.parameters()):
                    tp.data.copy_(tau * p.data + (1 - tau) * tp.data)
                for p, tp in zip(actor.parameters(), actor_target.parameters()):
                    tp.data.copy_(tau * p.data + (1 - tau) * tp.data)

        rates = rates_of(update)
        return {
            "obs": obs,
            "act": act,
            "hidden": hidden,
            "batch": n,
            "updatesPerSec": rates,
            "median": statistics.median(rates),
            "min": min(rates),
            "max": max(rates),
        }

    def measure_population(obs: int, act: int, hidden: int, n: int, members: int) -> dict:
        """`members` TD3 agents as batched weights: one update of all of them per step, each on its own batch."""

        def layer(fan_in, fan_out):
            bound = fan_in ** -0.5
            w = ((torch.rand(members, fan_in, fan_out) * 2 - 1) * bound).to(device)
            b = ((torch.rand(members, 1, fan_out) * 2 - 1) * bound).to(device)
            return [w.requires_grad_(), b.requires_grad_()]

        def net(fan_in, fan_out):
            return layer(fan_in, hidden) + layer(hidden, hidden) + layer(hidden, fan_out)

        def forward(p, x):
            h = F.relu(torch.baddbmm(p[1], x, p[0]))
            h = F.relu(torch.baddbmm(p[3], h, p[2]))
            return torch.baddbmm(p[5], h, p[4])

        def copy_of(p):
            return [t.detach().clone() for t in p]

        actor, c1, c2 = net(obs, act), net(obs + act, 1), net(obs + act, 1)
        actor_t, c1_t, c2_t = copy_of(actor), copy_of(c1), copy_of(c2)
        actor_opt = torch.optim.Adam(actor, lr=3e-4)
        critic_opt = torch.optim.Adam(c1 + c2, lr=3e-4)
        discount, tau, policy_noise, noise_clip, delay = 0.99, 0.005, 0.2, 0.5, 2
        batches = random_batches((members, n), obs, act)
        total_it = 0

        def update() -> None:
            nonlocal total_it
            s, a, r, s2, not_done = batches[total_it % len(batches)]
            total_it += 1
            with torch.no_grad():
                noise = (torch.randn_like(a) * policy_noise).clamp(-noise_clip, noise_clip)
                next_action = (torch.tanh(forward(actor_t, s2)) + noise).clamp(-1, 1)
                sa2 = torch.cat([s2, next_action], 2)
                target_q = r + not_done * discount * torch.min(forward(c1_t, sa2), forward(c2_t, sa2))
            sa = torch.cat([s, a], 2)
            # Each member's own loss, summed: its gradients are its own.
            per_member = ((forward(c1, sa) - target_q) ** 2).mean((1, 2)) + ((forward(c2, sa) - target_q) ** 2).mean((1, 2))
            critic_opt.zero_grad()
            per_member.sum().backward()
            critic_opt.step()
            if total_it % delay == 0:
                pi = torch.tanh(forward(actor, s))
                actor_loss = -forward(c1, torch.cat([s, pi], 2)).mean((1, 2)).sum()
                actor_opt.zero_grad()
                actor_loss.backward()
                actor_opt.step()
                with torch.no_grad():
                    for p, tp in zip(actor + c1 + c2, actor_t + c1_t + c2_t):
                        tp.mul_(1 - tau).add_(tau * p)

        rates = rates_of(update, members)
        return {"members": members, "updatesPerSec": rates, "median": statistics.median(rates),
                "min": min(rates), "max": max(rates)}

    results = []
    blas = loaded_blas()
    if args.population:
        numbers = [int(x) for x in args.cases.split(",")[0].split("x")]
        obs, act = numbers[0], numbers[1]
        hidden = numbers[2] if len(numbers) > 2 else args.hidden
        batch = numbers[3] if len(numbers) > 3 else args.batch
        population = [measure_population(obs, act, hidden, batch, int(m)) for m in args.population.split(",")]
        print(json.dumps({"available": True, "torch": torch.__version__, "threads": torch.get_num_threads(),
                          "blas": blas, "device": device_name, "hidden": hidden, "batch": batch,
                          "population": population}))
        return 0
    for case in args.cases.split(","):
        numbers = [int(x) for x in case.split("x")]
        obs, act = numbers[0], numbers[1]
        hidden = numbers[2] if len(numbers) > 2 else args.hidden
        batch = numbers[3] if len(numbers) > 3 else args.batch
        results.append(measure(obs, act, hidden, batch))
    print(json.dumps({
        "available": True,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "blas": blas,
        "device": device_name,
        "batch": args.batch,
        "hidden": args.hidden,
        "updates": args.updates,
        "repeats": args.repeats,
        "results": results,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
