import { useState, type FormEvent } from 'react';

/**
 * State of a "type a path, run an API call on it" form: the path, whether it runs, the
 * result or the error message. `emptyMessage` is shown when submitted with no path.
 */
export function useFileAction<T>(run: (path: string) => Promise<T>, emptyMessage: string) {
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<T>();
  const [error, setError] = useState<string>();

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) {
      setError(emptyMessage);
      return;
    }
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await run(path.trim()));
    } catch (caught) {
      setError((caught as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return { path, setPath, busy, result, error, submit };
}
