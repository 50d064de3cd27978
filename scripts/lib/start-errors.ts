/**
 * Why `npm start` could not start, in pt-BR with what to do: the operating system's errors (a port already taken,
 * a folder without permission) arrive in English with bare codes like EADDRINUSE.
 */
import { errorText } from './cli.js';

interface SystemError {
  code?: string;
  syscall?: string;
  path?: string;
}

export interface StartContext {
  host: string;
  port: number;
}

/** The message printed after "não foi possível iniciar:". */
export function describeStartError(error: unknown, context: StartContext): string {
  const { code, syscall, path } = (error ?? {}) as SystemError;
  const where = `${context.host.includes(':') ? `[${context.host}]` : context.host}:${context.port}`;
  if (syscall === 'listen' || syscall === 'bind' || syscall === 'getaddrinfo') {
    switch (code) {
      case 'EADDRINUSE':
        return (
          `a porta ${context.port} já está em uso em ${context.host} (outro programa, ou outro pec-rnds já rodando). ` +
          `Escolha outra porta com a variável PORT, por exemplo: PORT=${context.port === 65_535 ? 8788 : context.port + 1} npm start ` +
          `(no serviço, em /etc/pec-rnds.env). Para ver quem usa a porta: Linux "sudo ss -ltnp 'sport = :${context.port}'", ` +
          `Windows "netstat -ano | findstr :${context.port}". (EADDRINUSE)`
        );
      case 'EACCES':
      case 'EPERM':
        return (
          `sem permissão para atender em ${where}: portas abaixo de 1024 exigem privilégios. Use uma porta acima de 1024, ` +
          'por exemplo PORT=8787, e publique a tela pelo proxy reverso (INSTALL.md, seção 3). (EACCES)'
        );
      case 'EADDRNOTAVAIL':
        return (
          `o endereço HOST=${context.host} não pertence a esta máquina. Use HOST=127.0.0.1 (só esta máquina) ou ` +
          'HOST=0.0.0.0 (todas as interfaces), ou um endereço que apareça em "ip addr" (Windows: ipconfig). (EADDRNOTAVAIL)'
        );
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EAI_NONAME':
        return `o nome HOST=${context.host} não foi encontrado. Use um endereço IP, por exemplo HOST=127.0.0.1. (${code})`;
    }
  }
  if (code && path) {
    switch (code) {
      case 'EACCES':
      case 'EPERM':
        return (
          `sem permissão em ${path}. Rode como o usuário do serviço (Linux: sudo -u pec-rnds …), ou aponte RNDS_DATA_DIR / ` +
          `RNDS_CHAVES_DIR para pastas que ele possa usar. (${code})`
        );
      case 'EROFS':
        return `${path} está num sistema de arquivos somente leitura: aponte RNDS_DATA_DIR para uma pasta gravável, por exemplo /var/lib/pec-rnds. (EROFS)`;
      case 'ENOTDIR':
      case 'EEXIST':
        return `${path} (ou uma pasta acima dele) é um arquivo, não uma pasta: confira RNDS_DATA_DIR e RNDS_CHAVES_DIR. (${code})`;
      case 'ENOSPC':
        return `o disco de ${path} está cheio: libere espaço (df -h) e inicie de novo. (ENOSPC)`;
    }
  }
  return errorText(error);
}
