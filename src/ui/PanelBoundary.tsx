/**
 * Keeps one panel's failure in that panel: if the charts, a view or the landscape throw while drawing, the
 * panel says so (with a button to draw it again) and the run, its controls and its checkpoints go on working.
 * Without it React unmounts the whole page on any error during rendering.
 */
import { Component, type ReactNode } from 'react';

interface Props {
  /** What the panel shows, in words, for the message ("the charts"). */
  name: string;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class PanelBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: unknown): void {
    // Logged, so that the browser tests (which fail on console errors) still see it.
    console.error(`The page could not draw ${this.props.name}:`, error);
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="notice error panel-failure" role="alert">
        Could not draw {this.props.name}: {error.message}. Training is not affected.{' '}
        <button type="button" onClick={() => this.setState({ error: null })}>
          Draw again
        </button>
      </div>
    );
  }
}
