"""Off-limits topic check per message, 200 topics, against a plain `in` scan.

Run by hand:  python bench/topics_bench.py
The baseline lowercases the message and tests `phrase in text` for every phrase (no
word boundaries, no plurals, no Unicode folding): the least a check could do. Our
matcher is measured on the same messages, both in the same run.
"""

from __future__ import annotations

import random
import statistics
import time

from coalition_bot.rules.topics import TopicPhrase, compile_topics

TOPICS = 200
MESSAGES = 2000
ROUNDS = 5
WORDS = ("rent housing union strike tenant landlord council budget climate march vote "
         "police school transit wage health water eviction zoning permit coalition "
         "party election candidate endorsement donor pipeline refinery mayor lawsuit "
         "organizing picket boycott caucus district ballot measure reform").split()


def make_topics(rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.choice((1, 2, 2, 3)))) + f" x{i}"
            for i in range(TOPICS)]


def make_messages(rng: random.Random) -> list[str]:
    filler = ("we", "should", "meet", "about", "the", "next", "steps", "for", "our",
              "campaign", "on", "Thursday", "—", "thanks!", "see", "you", "there")
    return [" ".join(rng.choice(filler + tuple(WORDS)) for _ in range(rng.randint(8, 40)))
            for _ in range(MESSAGES)]


def per_message_us(check, messages: list[str]) -> float:
    best = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for text in messages:
            check(text)
        best.append((time.perf_counter() - start) / len(messages) * 1e6)
    return statistics.median(best)


def main() -> None:
    rng = random.Random(7)
    phrases = make_topics(rng)
    messages = make_messages(rng)
    lowered = [p.lower() for p in phrases]

    def baseline(text: str) -> list[str]:
        low = text.lower()
        return [p for p in lowered if p in low]

    start = time.perf_counter()
    matcher = compile_topics(TopicPhrase(i, p) for i, p in enumerate(phrases))
    build_ms = (time.perf_counter() - start) * 1000
    ours = per_message_us(matcher.matches, messages)
    base = per_message_us(baseline, messages)
    print(f"topics: {TOPICS}, messages: {MESSAGES} (8-40 words), rounds: {ROUNDS} (median)")
    print(f"baseline `in` scan: {base:8.2f} µs/message")
    print(f"compiled matcher:   {ours:8.2f} µs/message   ratio {ours / base:.2f}x baseline")
    print(f"compile 200 topics: {build_ms:8.2f} ms (once per change of the list)")
    print(f"goal: < 50 µs/message -> {'met' if ours < 50 else 'MISSED'}")


if __name__ == "__main__":
    main()
