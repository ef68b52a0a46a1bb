// A page that throws while rendering shows what happened and a way back, instead of a blank
// window; the rest of the shell (navigation, sign-out) keeps working.
import { Alert, Button } from '@mantine/core';
import { Component, type ReactNode } from 'react';
import i18n from '../i18n';

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode; resetKey: string }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidUpdate(prev: { resetKey: string }) {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  render() {
    if (!this.state.error) return this.props.children;
    return (
      <Alert color="red" role="alert" title={i18n.t('errors.page')}>
        {this.state.error.message}
        <Button mt="sm" variant="default" onClick={() => window.location.reload()}>{i18n.t('errors.reload')}</Button>
      </Alert>
    );
  }
}
