# Copyright: Tensor One collection contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Lookup bench_cpu (a helper of tests/benchmarks/bench_modules.py, Linux only):
# CPU seconds used so far by the ansible-playbook process and every process
# under it (task workers, module processes), self and children times summed
# over the live tree from /proc. An exited process that has been reaped is in
# its parent's children times; one not reaped yet (a zombie) still has its
# own /proc entry. So every CPU second counts exactly once, however late
# Ansible reaps its task workers. The lookup runs in a task worker, whose
# parent is ansible-playbook. It returns 0.0 where /proc is missing.

import os

from ansible.plugins.lookup import LookupBase

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid):
    """(ppid, CPU ticks of the process and of its reaped children) from /proc/<pid>/stat, or None."""
    try:
        with open("/proc/%s/stat" % pid, encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
    return int(fields[1]), sum(int(value) for value in fields[11:15])


def tree_cpu_seconds(root):
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(entry)
            if stat is not None:
                stats[int(entry)] = stat
    children = {}
    for pid, (ppid, _ticks) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, pending = 0, [root]
    while pending:
        pid = pending.pop()
        if pid in stats:
            total += stats[pid][1]
        pending.extend(children.get(pid, []))
    return total / float(CLOCK_TICKS)


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        if not os.path.isdir("/proc/self"):
            return [0.0]
        return [tree_cpu_seconds(os.getppid())]
