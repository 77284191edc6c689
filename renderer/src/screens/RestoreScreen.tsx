import { Stepper } from '@mantine/core';
import { ScreenHeader } from '../components/ScreenHeader.tsx';
import { CheckStep } from '../components/restore/CheckStep.tsx';
import { ChooseBackupStep } from '../components/restore/ChooseBackupStep.tsx';
import { DoneStep } from '../components/restore/DoneStep.tsx';
import { RestoringStep } from '../components/restore/RestoringStep.tsx';
import { TargetStep } from '../components/restore/TargetStep.tsx';
import { restoreSteps, useRestoreStore, type RestoreStep } from '../store/restore-store.ts';

const stepLabels: Record<RestoreStep, { label: string; description: string }> = {
  choose: { label: 'Backup', description: 'Choose one' },
  check: { label: 'Check', description: 'Is it sound?' },
  target: { label: 'Target', description: 'Where it goes' },
  restore: { label: 'Restore', description: 'Safety copy first' },
  done: { label: 'Done', description: 'Undo if needed' },
};

const bodies: Record<RestoreStep, () => React.ReactNode> = {
  choose: ChooseBackupStep,
  check: CheckStep,
  target: TargetStep,
  restore: RestoringStep,
  done: DoneStep,
};

/** The restore wizard: choose, check, target, restore, done. */
export function RestoreScreen() {
  const step = useRestoreStore((s) => s.step);
  const Body = bodies[step];
  // Reached only by a finished restore: every step, Done included, is then complete.
  const active = step === 'done' ? restoreSteps.length : restoreSteps.indexOf(step);
  return (
    <>
      <ScreenHeader title="Restore" description="Bring a database back from a backup. The backup is checked and the current database kept aside before anything is replaced." />
      <Stepper active={active} size="sm" mb="xl" allowNextStepsSelect={false} aria-label="Restore steps">
        {restoreSteps.map((key) => (
          <Stepper.Step key={key} label={stepLabels[key].label} description={stepLabels[key].description} allowStepSelect={false} />
        ))}
      </Stepper>
      <section aria-label={`Restore step: ${stepLabels[step].label}`}>
        <Body />
      </section>
    </>
  );
}
